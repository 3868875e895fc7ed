import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import t from 'tap';
import { BACKEND, startDaemon, stopOrKill } from '../helpers/daemon.js';
import { resetLines } from '../helpers/line-files.js';
import { q, sh, type RunResult } from '../helpers/run.js';

/*
 * Random bytes written through the mount into every writable attribute, one
 * write() each (printf | dd): the errno is the one the kernel's sysfs store()
 * would give, a refused write leaves the line exactly as it was, an accepted
 * one reads back as the kernel would show it, and the daemon keeps serving.
 * The in-process property run (test/aggregator/aggregated-line.property.test.ts)
 * covers many more inputs; this one proves the same through FUSE.
 */

// Every process start is slow under the VM's software emulation.
t.setTimeout(BACKEND === 'libgpiod' ? 900_000 : 120_000);

const RUNS = 50;
const CHIP = 'gpiochip0';
const OFFSET = 2;

const daemon = await startDaemon();
t.teardown(async () => {
  // Leave the lines as inputs pulled down for whatever runs next on the same chips.
  await resetLines(daemon, 'gpio-agg.0', [[CHIP, OFFSET] as const]).catch(() => {});
  await stopOrKill(daemon);
});

const made = await sh(`echo ${q(`${CHIP} ${OFFSET}`)} > ${q(daemon.path('agg', 'new_device'))}`);
if (made.code !== 0) throw new Error(`cannot create the aggregator: ${made.stderr}`);

await resetLines(daemon, 'gpio-agg.0', [[CHIP, OFFSET] as const]);

const WORDS = {
  direction: ['in', 'out', 'low', 'high'],
  edge: ['none', 'rising', 'falling', 'both'],
  bias: ['as-is', 'disable', 'pull-up', 'pull-down'],
  drive: ['push-pull', 'open-drain', 'open-source'],
} as const;
const ATTRIBUTES = ['value', 'direction', 'active_low', 'edge', 'bias', 'drive'] as const;
type Attribute = typeof ATTRIBUTES[number];
type Snapshot = Record<Attribute, string> & { level: number };

function path(attribute: Attribute): string {
  return daemon.path('gpio-agg.0', 'line0', attribute);
}

/** One write() of exactly these bytes (bash's printf alone would split at newlines). */
function writeBytes(attribute: Attribute, bytes: string): Promise<RunResult> {
  const octal = [...Buffer.from(bytes, 'latin1')].map((byte) => `\\${byte.toString(8).padStart(3, '0')}`).join('');
  return sh(`printf '${octal}' | dd of=${q(path(attribute))} bs=65536 iflag=fullblock status=none`);
}

async function snapshot(): Promise<Snapshot> {
  const entries = await Promise.all(ATTRIBUTES.map(async (a) => [a, await readFile(path(a), 'latin1')] as const));
  return { ...Object.fromEntries(entries) as Record<Attribute, string>, level: await daemon.lines.level(CHIP, OFFSET) };
}

// ---- the kernel's view (kstrtol(…, 0) and sysfs_streq() on a C string) ----

const ULLONG_MAX = (1n << 64n) - 1n;
const LONG_MAX = (1n << 63n) - 1n;

function digitValue(c: string | undefined): number {
  if (c === undefined) return 99;
  if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48;
  if (c >= 'a' && c <= 'f') return c.charCodeAt(0) - 87;
  if (c >= 'A' && c <= 'F') return c.charCodeAt(0) - 55;
  return 99;
}

function kstrtol(s: string): { value: bigint } | { code: 'EINVAL' | 'ERANGE' } {
  let i = 0;
  let negative = false;
  if (s[0] === '-') { negative = true; i = 1; } else if (s[0] === '+') { i = 1; }
  let base = 10;
  if (s[i] === '0') {
    if ((s[i + 1] === 'x' || s[i + 1] === 'X') && digitValue(s[i + 2]) < 16) { base = 16; i += 2; } else { base = 8; }
  }
  let result = 0n;
  let digits = 0;
  let overflow = false;
  for (; i < s.length && digitValue(s[i]) < base; i += 1, digits += 1) {
    result = result * BigInt(base) + BigInt(digitValue(s[i]));
    if (result > ULLONG_MAX) overflow = true;
  }
  if (overflow) return { code: 'ERANGE' };
  if (digits === 0) return { code: 'EINVAL' };
  if (s[i] === '\n') i += 1;
  if (i !== s.length) return { code: 'EINVAL' };
  if (negative) return result > LONG_MAX + 1n ? { code: 'ERANGE' } : { value: -result };
  return result > LONG_MAX ? { code: 'ERANGE' } : { value: result };
}

function word(text: string, words: readonly string[]): string | undefined {
  return words.find((w) => text === w || text === `${w}\n`);
}

/** The errno the write must fail with, or what the attribute reads afterwards (undefined: not predicted). */
function expected(attribute: Attribute, bytes: string, before: Snapshot): { code: string } | { reads: string | undefined } {
  // write() of nothing never reaches the filesystem.
  if (bytes === '') return { reads: before[attribute] };
  // kernfs hands store() a C string.
  const nul = bytes.indexOf('\0');
  const text = nul < 0 ? bytes : bytes.slice(0, nul);
  const output = before.direction === 'out\n';
  switch (attribute) {
    case 'value': {
      if (!output) return { code: 'EPERM' };
      const parsed = kstrtol(text);
      if ('code' in parsed) return parsed;
      return { reads: before.drive === 'push-pull\n' ? `${parsed.value !== 0n ? 1 : 0}\n` : undefined };
    }
    case 'active_low': {
      const parsed = kstrtol(text);
      if ('code' in parsed) return parsed;
      return { reads: `${parsed.value !== 0n ? 1 : 0}\n` };
    }
    case 'direction': {
      const found = word(text, WORDS.direction);
      if (found === undefined) return { code: 'EINVAL' };
      if (found !== 'in' && before.edge !== 'none\n') return { code: 'EIO' };
      return { reads: found === 'in' ? 'in\n' : 'out\n' };
    }
    case 'edge': {
      const found = word(text, WORDS.edge);
      if (found === undefined) return { code: 'EINVAL' };
      if (found !== 'none' && output) return { code: 'EIO' };
      return { reads: `${found}\n` };
    }
    case 'bias':
    case 'drive': {
      const found = word(text, WORDS[attribute]);
      return found === undefined ? { code: 'EINVAL' } : { reads: `${found}\n` };
    }
  }
}

// ---- inputs ----------------------------------------------------------------

const ALL_WORDS = Object.values(WORDS).flat();

const input = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.constantFrom('1', '0', '0x1', '1\n', ' 1', '1 ', '1\n\n', '0x', '08', '+1', '-1', '-0', '99999999999999999999',
      '99999999999999999999999x', '-9223372036854775809', 'in\n\n', ' in', 'high\r', '1\0junk', '\0', 'both\0\n'),
  },
  { weight: 2, arbitrary: fc.constantFrom(...ALL_WORDS).chain((w) => fc.constantFrom(w, `${w}\n`, `${w} `, w.toUpperCase())) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom('', '+', '-'), fc.constantFrom('', '0', '0x'),
      fc.stringOf(fc.constantFrom(...'0123456789abcdefxX'), { maxLength: 22 }), fc.constantFrom('', '\n', '\n\n', ' '))
      .map((parts) => parts.join('')),
  },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 10 }).map((bytes) => Buffer.from(bytes).toString('latin1')) },
  { weight: 1, arbitrary: fc.stringOf(fc.constantFrom(...'01x-+ \n\tinoutlwhgrsfdp\0'), { minLength: 1, maxLength: 8 }) },
);

/** Inputs the attribute accepts (unless the line's state forbids them). */
function valid(attribute: Attribute): fc.Arbitrary<string> {
  const texts = attribute === 'value' || attribute === 'active_low'
    ? ['0', '1', '0x1', '2', '-1', '010', '0x0', '00']
    : WORDS[attribute];
  return fc.constantFrom(...texts).chain((text) => fc.constantFrom(text, `${text}\n`));
}

const write = fc.constantFrom(...ATTRIBUTES).chain((attribute) => fc.tuple(
  fc.constant(attribute),
  fc.oneof({ weight: 2, arbitrary: valid(attribute) }, { weight: 3, arbitrary: input }),
));

/** A valid write that moves the line to another state first (it may be refused, e.g. EIO; that is fine). */
const setup = fc.array(fc.oneof(
  fc.constantFrom(...WORDS.direction).map((text) => ['direction', text] as const),
  fc.constantFrom(...WORDS.edge).map((text) => ['edge', text] as const),
  fc.constantFrom(...WORDS.bias).map((text) => ['bias', text] as const),
  fc.constantFrom(...WORDS.drive).map((text) => ['drive', text] as const),
  fc.constantFrom('0', '1').map((text) => ['active_low', text] as const),
  fc.constantFrom('0', '1').map((text) => ['value', text] as const),
), { maxLength: 3 });

t.test(`${RUNS} random writes through the mount: kernel errno, refusals change nothing`, async (t) => {
  let accepted = 0;
  let refused = 0;
  await fc.assert(fc.asyncProperty(setup, write, async (steps, [attribute, bytes]) => {
    for (const [file, text] of steps) await sh(`echo ${text} > ${q(path(file))}`);
    const before = await snapshot();
    const outcome = expected(attribute, bytes, before);
    const result = await writeBytes(attribute, bytes);
    const after = await snapshot();
    const what = `${attribute} ← ${JSON.stringify(bytes)} from ${JSON.stringify(before)}`;
    if ('code' in outcome) {
      refused += 1;
      if (result.errno !== outcome.code) throw new Error(`${what}: expected ${outcome.code}, got ${result.errno ?? 'success'} (${result.stderr.trim()})`);
      if (JSON.stringify(after) !== JSON.stringify(before)) throw new Error(`${what}: refused, yet changed to ${JSON.stringify(after)}`);
    } else {
      accepted += 1;
      if (result.code !== 0) throw new Error(`${what}: expected success, got ${result.stderr.trim()}`);
      if (outcome.reads !== undefined && after[attribute] !== outcome.reads) {
        throw new Error(`${what}: reads ${JSON.stringify(after[attribute])}, expected ${JSON.stringify(outcome.reads)}`);
      }
    }
    if (daemon.process.exitCode !== null || daemon.process.signalCode !== null) throw new Error(`${what}: the daemon died`);
  }), { numRuns: RUNS });
  t.comment(`${accepted} accepted, ${refused} refused`);
  t.ok(refused > 0, 'some writes were refused');
  t.ok(accepted > 0, 'some writes were accepted');
  t.equal(daemon.process.exitCode, null, 'the daemon is still running');
  t.match(await readFile(daemon.path('agg', 'devices'), 'utf8'), /^gpio-agg\.0 gpiochip0 2\n$/, 'and answering');
});
