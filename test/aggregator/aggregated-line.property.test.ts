import fc from 'fast-check';
import t from 'tap';
import { AggregatedLine } from '../../lib/aggregator/aggregated-line.js';
import { GpioAggError } from '../../lib/errors.js';
import { parseBoard } from '../../lib/gpio/board.js';
import { SimBackend } from '../../lib/gpio/sim-backend.js';

/*
 * Every writable attribute of an AggregatedLine against an independent model
 * of the kernel's sysfs store() callbacks (gpiolib-sysfs.c, kstrtol(…, 0),
 * sysfs_streq()): random and near-miss inputs are either accepted with the
 * kernel's effect or refused with the kernel's errno, and a refusal changes
 * nothing at all (the six attributes and the physical level).
 *
 * The text reaching AggregatedLine is what the filesystem passes on, which
 * (like kernfs) has already ended it at the first NUL byte; here a NUL is an
 * ordinary, invalid character.
 */

const BOARD = parseBoard({ chips: [{ label: 'sim-a', lines: 4 }] }, 'property-board');
const CHIP = 'gpiochip0';
const OFFSET = 1;
const RUNS = 1500;

const WORDS = {
  direction: ['in', 'out', 'low', 'high'],
  edge: ['none', 'rising', 'falling', 'both'],
  bias: ['as-is', 'disable', 'pull-up', 'pull-down'],
  drive: ['push-pull', 'open-drain', 'open-source'],
} as const;
const ATTRIBUTES = ['value', 'direction', 'active_low', 'edge', 'bias', 'drive'] as const;
type Attribute = typeof ATTRIBUTES[number];

// ---- the model ---------------------------------------------------------

const ULLONG_MAX = (1n << 64n) - 1n;
const LONG_MAX = (1n << 63n) - 1n;

type Parsed = { readonly value: bigint } | { readonly code: 'EINVAL' | 'ERANGE' };

function digitValue(c: string | undefined): number {
  if (c === undefined) return 99;
  if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48;
  const lower = c.toLowerCase();
  if (c.length === 1 && lower >= 'a' && lower <= 'f') return lower.charCodeAt(0) - 87;
  return 99;
}

/** lib/kstrtox.c: kstrtol(s, 0, &res), written the way the C code reads. */
function kstrtol(s: string): Parsed {
  let i = 0;
  let negative = false;
  if (s[0] === '-') { negative = true; i = 1; } else if (s[0] === '+') { i = 1; }
  // _parse_integer_fixup_radix()
  let base = 10;
  if (s[i] === '0') {
    if ((s[i + 1] === 'x' || s[i + 1] === 'X') && digitValue(s[i + 2]) < 16) { base = 16; i += 2; } else { base = 8; }
  }
  // _parse_integer()
  let result = 0n;
  let digits = 0;
  let overflow = false;
  for (; i < s.length; i += 1, digits += 1) {
    const d = digitValue(s[i]);
    if (d >= base) break;
    result = result * BigInt(base) + BigInt(d);
    if (result > ULLONG_MAX) overflow = true;
  }
  if (overflow) return { code: 'ERANGE' };
  if (digits === 0) return { code: 'EINVAL' };
  if (s[i] === '\n') i += 1;
  if (i !== s.length) return { code: 'EINVAL' };
  if (negative) return result > LONG_MAX + 1n ? { code: 'ERANGE' } : { value: -result };
  return result > LONG_MAX ? { code: 'ERANGE' } : { value: result };
}

/** sysfs_streq(): equal, or equal but for one trailing newline. */
function streq(input: string, word: string): boolean {
  return input === word || input === `${word}\n`;
}

interface State {
  readonly direction: 'in' | 'out';
  readonly activeLow: boolean;
  readonly edge: string;
  readonly bias: string;
  readonly drive: string;
  readonly value: number;
  readonly level: number;
}

type Outcome =
  | { readonly code: 'EINVAL' | 'ERANGE' | 'EPERM' | 'EIO' }
  /** Accepted: these parts of the state are known afterwards; the rest is checked by `same`. */
  | { readonly expect: Partial<State>; readonly same: readonly (keyof State)[] };

const SETTINGS: readonly (keyof State)[] = ['direction', 'activeLow', 'edge', 'bias', 'drive'];

function without(keys: readonly (keyof State)[], ...drop: (keyof State)[]): (keyof State)[] {
  return keys.filter((key) => !drop.includes(key));
}

function expectedOutcome(attribute: Attribute, input: string, before: State): Outcome {
  const pushPullOutput = before.direction === 'out' && before.drive === 'push-pull';
  switch (attribute) {
    case 'value': {
      // value_store(): an input is EPERM before the text matters.
      if (before.direction !== 'out') return { code: 'EPERM' };
      const parsed = kstrtol(input);
      if ('code' in parsed) return parsed;
      const value = parsed.value !== 0n ? 1 : 0;
      const level = before.activeLow ? value ^ 1 : value;
      return pushPullOutput ? { expect: { value, level }, same: SETTINGS } : { expect: {}, same: SETTINGS };
    }
    case 'direction': {
      const word = WORDS.direction.find((w) => streq(input, w));
      if (word === undefined) return { code: 'EINVAL' };
      if (word === 'in') return { expect: { direction: 'in' }, same: without(SETTINGS, 'direction', 'drive') };
      // gpiod_direction_output() refuses a line locked as an IRQ.
      if (before.edge !== 'none') return { code: 'EIO' };
      const level = word === 'high' ? 1 : 0;
      return before.drive === 'push-pull'
        ? { expect: { direction: 'out', level, value: before.activeLow ? level ^ 1 : level }, same: without(SETTINGS, 'direction') }
        : { expect: { direction: 'out' }, same: without(SETTINGS, 'direction') };
    }
    case 'active_low': {
      const parsed = kstrtol(input);
      if ('code' in parsed) return parsed;
      const activeLow = parsed.value !== 0n;
      // The physical level stays; only its reading flips.
      return pushPullOutput
        ? { expect: { activeLow, level: before.level, value: activeLow ? before.level ^ 1 : before.level }, same: without(SETTINGS, 'activeLow') }
        : { expect: { activeLow }, same: without(SETTINGS, 'activeLow') };
    }
    case 'edge': {
      const word = WORDS.edge.find((w) => streq(input, w));
      if (word === undefined) return { code: 'EINVAL' };
      if (word !== 'none' && before.direction === 'out') return { code: 'EIO' };
      return { expect: { edge: word }, same: without(SETTINGS, 'edge') };
    }
    case 'bias': {
      const word = WORDS.bias.find((w) => streq(input, w));
      if (word === undefined) return { code: 'EINVAL' };
      return pushPullOutput
        ? { expect: { bias: word, level: before.level, value: before.value }, same: without(SETTINGS, 'bias') }
        : { expect: { bias: word }, same: without(SETTINGS, 'bias') };
    }
    case 'drive': {
      const word = WORDS.drive.find((w) => streq(input, w));
      if (word === undefined) return { code: 'EINVAL' };
      return { expect: { drive: word }, same: without(SETTINGS, 'drive') };
    }
  }
}

// ---- the line under test -----------------------------------------------

interface Subject {
  readonly sim: SimBackend;
  readonly line: AggregatedLine;
}

function subject(): Subject {
  const sim = new SimBackend(BOARD);
  return { sim, line: new AggregatedLine(sim.request(CHIP, OFFSET, 'gpio-aggfs')) };
}

function state({ sim, line }: Subject): State {
  return {
    direction: line.direction(), activeLow: line.activeLow(), edge: line.edge(), bias: line.bias(),
    drive: line.drive(), value: line.value(), level: sim.level(CHIP, OFFSET),
  };
}

function write(line: AggregatedLine, attribute: Attribute, input: string): void {
  switch (attribute) {
    case 'value': line.writeValue(input); break;
    case 'direction': line.writeDirection(input); break;
    case 'active_low': line.writeActiveLow(input); break;
    case 'edge': line.writeEdge(input); break;
    case 'bias': line.writeBias(input); break;
    case 'drive': line.writeDrive(input); break;
  }
}

/** A valid step that puts the line into some state (refused steps are simply skipped). */
type Step = { readonly attribute: Attribute; readonly input: string } | { readonly pull: 'pull-up' | 'pull-down' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constantFrom(...WORDS.direction).map((input) => ({ attribute: 'direction' as const, input })),
  fc.constantFrom(...WORDS.edge).map((input) => ({ attribute: 'edge' as const, input })),
  fc.constantFrom(...WORDS.bias).map((input) => ({ attribute: 'bias' as const, input })),
  fc.constantFrom(...WORDS.drive).map((input) => ({ attribute: 'drive' as const, input })),
  fc.constantFrom('0', '1').map((input) => ({ attribute: 'active_low' as const, input })),
  fc.constantFrom('0', '1').map((input) => ({ attribute: 'value' as const, input })),
  fc.constantFrom('pull-up' as const, 'pull-down' as const).map((pull) => ({ pull })),
);

function prepare(s: Subject, steps: readonly Step[]): void {
  for (const st of steps) {
    try {
      if ('pull' in st) s.sim.setPull(CHIP, OFFSET, st.pull);
      else write(s.line, st.attribute, st.input);
    } catch (err) {
      if (!(err instanceof GpioAggError)) throw err;
    }
  }
}

// ---- inputs ------------------------------------------------------------

const ALL_WORDS = Object.values(WORDS).flat();

const NEAR_MISSES = [
  '', '\n', '\n\n', ' ', '1 ', ' 1', '1\n\n', '\n1', '1\r', '1\t', '\t1', '0 \n', 'in\n\n', ' in', 'in ', 'IN', 'In',
  '0x', '0X', '0x\n', '0xg', '0x1g', '08', '09', '0b1', '+1', '-1', '-0', '+0', '--1', '+-1', '-+1', '++1', '1e3', '1.0',
  '0.', '00', '007', '0x00000000000000001', '9223372036854775807', '9223372036854775808', '-9223372036854775808',
  '-9223372036854775809', '18446744073709551615', '18446744073709551616', '99999999999999999999999x',
  '0xffffffffffffffff', '0x10000000000000000', '-0x8000000000000000', '-0x8000000000000001', '01777777777777777777777',
  '02000000000000000000000', 'high\r\n', 'pull_up', 'pullup', 'open_drain', 'Rising', 'none ', 'both\n\n', '1\0', 'in\0',
  '١', '\u00b9', 'ﬀ',
];

const numberLike = fc.tuple(
  fc.constantFrom('', '', '+', '-', '--'),
  fc.constantFrom('', '', '0', '0x', '0X', '00'),
  fc.stringOf(fc.constantFrom(...'0123456789abcdefABCDEFxX'), { maxLength: 24 }),
  fc.constantFrom('', '', '\n', '\n\n', ' ', '\0'),
).map((parts) => parts.join(''));

const hugeIntegers = fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }).chain((n) => fc.constantFrom(
  String(n), `${String(n)}\n`, n < 0n ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`, n < 0n ? `-0${(-n).toString(8)}` : `0${n.toString(8)}`,
));

const mutatedWords = fc.tuple(fc.constantFrom(...ALL_WORDS), fc.nat(12), fc.constantFrom(' ', '\n', '\0', '\t', 'x', '-', 'S', ''), fc.boolean())
  .map(([word, at, insert, upper]) => {
    const base = upper ? word.toUpperCase() : word;
    const position = at % (base.length + 1);
    return base.slice(0, position) + insert + base.slice(position);
  });

const input = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NEAR_MISSES) },
  { weight: 2, arbitrary: fc.constantFrom(...ALL_WORDS).chain((w) => fc.constantFrom(w, `${w}\n`)) },
  { weight: 2, arbitrary: mutatedWords },
  { weight: 3, arbitrary: numberLike },
  { weight: 2, arbitrary: hugeIntegers },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 12 }).map((bytes) => Buffer.from(bytes).toString('latin1')) },
  { weight: 2, arbitrary: fc.stringOf(fc.constantFrom(...'01x-+ \n\tabinoutlwhgrsfdpec'), { maxLength: 10 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);

// ---- properties --------------------------------------------------------

function check(attribute: Attribute, steps: readonly Step[], text: string): void {
  const s = subject();
  prepare(s, steps);
  const before = state(s);
  const outcome = expectedOutcome(attribute, text, before);
  let thrown: unknown;
  try {
    write(s.line, attribute, text);
  } catch (err) {
    thrown = err;
  }
  const after = state(s);
  const what = `${attribute} ← ${JSON.stringify(text)} from ${JSON.stringify(before)}`;
  if ('code' in outcome) {
    if (!(thrown instanceof GpioAggError)) throw new Error(`${what}: expected ${outcome.code}, got ${thrown === undefined ? 'success' : String(thrown)}`);
    if (thrown.code !== outcome.code) throw new Error(`${what}: expected ${outcome.code}, got ${thrown.code} (${thrown.message})`);
    if (JSON.stringify(after) !== JSON.stringify(before)) throw new Error(`${what}: refused, yet changed to ${JSON.stringify(after)}`);
    return;
  }
  if (thrown !== undefined) throw new Error(`${what}: expected success, got ${String(thrown)}`);
  for (const [key, value] of Object.entries(outcome.expect)) {
    if (after[key as keyof State] !== value) throw new Error(`${what}: ${key} is ${String(after[key as keyof State])}, expected ${String(value)}`);
  }
  for (const key of outcome.same) {
    if (!(key in outcome.expect) && after[key] !== before[key]) throw new Error(`${what}: ${key} changed to ${String(after[key])}`);
  }
}

for (const attribute of ATTRIBUTES) {
  t.test(`${attribute}: kernel semantics for any input, refusals change nothing`, async (t) => {
    t.doesNotThrow(() => fc.assert(
      fc.property(fc.array(step, { maxLength: 6 }), input, (steps, text) => check(attribute, steps, text)),
      { numRuns: RUNS },
    ));
  });
}

t.test('the model itself: kstrtol and the errno of a few fixed cases', async (t) => {
  t.same(kstrtol('0x1f'), { value: 31n });
  t.same(kstrtol('010\n'), { value: 8n });
  t.same(kstrtol('08'), { code: 'EINVAL' });
  t.same(kstrtol('-0'), { value: -0n });
  t.same(kstrtol('0x'), { code: 'EINVAL' });
  t.same(kstrtol('-9223372036854775808'), { value: -9223372036854775808n });
  t.same(kstrtol('9223372036854775808'), { code: 'ERANGE' });
  t.same(kstrtol('99999999999999999999999x'), { code: 'ERANGE' });
  const input: State = { direction: 'in', activeLow: false, edge: 'none', bias: 'as-is', drive: 'push-pull', value: 0, level: 0 };
  t.same(expectedOutcome('value', '1', input), { code: 'EPERM' });
  t.same(expectedOutcome('direction', 'out', { ...input, edge: 'both' }), { code: 'EIO' });
  t.same(expectedOutcome('edge', 'rising', { ...input, direction: 'out' }), { code: 'EIO' });
  t.same(expectedOutcome('bias', 'pullup', input), { code: 'EINVAL' });
});

t.test('fixed regressions: each refused write leaves the line as it was', async (t) => {
  const cases: [Attribute, Step[], string, string][] = [
    ['value', [{ attribute: 'direction', input: 'high' }], '0x', 'EINVAL'],
    ['value', [{ attribute: 'direction', input: 'high' }], '99999999999999999999', 'ERANGE'],
    ['value', [], '1', 'EPERM'],
    ['direction', [{ attribute: 'edge', input: 'both' }], 'out', 'EIO'],
    ['direction', [{ attribute: 'active_low', input: '1' }, { attribute: 'direction', input: 'high' }], 'in\n\n', 'EINVAL'],
    ['edge', [{ attribute: 'direction', input: 'low' }], 'falling\n', 'EIO'],
    ['active_low', [{ attribute: 'direction', input: 'high' }], '-0x8000000000000001', 'ERANGE'],
    ['bias', [{ pull: 'pull-up' }], 'pull-up ', 'EINVAL'],
    ['drive', [{ attribute: 'direction', input: 'out' }], 'open-drain\n\n', 'EINVAL'],
  ];
  for (const [attribute, steps, text, code] of cases) {
    const s = subject();
    prepare(s, steps);
    const before = state(s);
    t.throws(() => write(s.line, attribute, text), { name: 'GpioAggError', code }, `${attribute} ← ${JSON.stringify(text)}`);
    t.same(state(s), before);
  }
});
