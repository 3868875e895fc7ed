import t from 'tap';
import fc from 'fast-check';
import { GpioAggError } from '../../lib/errors.js';
import type { ChipInfo } from '../../lib/gpio/backend.js';
import { parseSpec } from '../../lib/spec/parse.js';
import { MAX_AGGREGATOR_LINES, findChip, findLineByName, resolveSpec } from '../../lib/spec/resolve.js';
import { rejection } from '../helpers/rejection.js';

const RUNS = 300;

function chip(index: number, label: string, lines: number, names: Record<number, string> = {}): ChipInfo {
  return {
    name: `gpiochip${index}`,
    label,
    path: `/dev/gpiochip${index}`,
    lines,
    lineNames: Array.from({ length: lines }, (_, offset) => names[offset] ?? ''),
  };
}

/** The demo board, plus a big chip and a chip repeating a label and a line name. */
const CHIPS: readonly ChipInfo[] = [
  chip(0, 'sim-a', 8, { 0: 'LED0', 1: 'LED1', 3: 'BUTTON', 5: 'status led' }),
  chip(1, 'sim-b', 16, { 2: 'RELAY' }),
  chip(2, 'big', 600, { 599: 'LAST' }),
  chip(3, 'sim-b', 4, { 0: 'LED0', 1: 'SPARE' }),
];

/** Resolve spec text to `<chip name> <offset>` strings, easy to compare. */
const resolve = (spec: string, chips: readonly ChipInfo[] = CHIPS): string[] =>
  resolveSpec(parseSpec(spec), chips).map((line) => `${line.chip.name} ${line.offset}`);

const rejected = (spec: string, chips: readonly ChipInfo[] = CHIPS): GpioAggError =>
  rejection(() => resolveSpec(parseSpec(spec), chips));

t.test('SPEC examples', async (t) => {
  t.same(resolve('gpiochip0 3-5,7 gpiochip1 2\n'), [
    'gpiochip0 3', 'gpiochip0 4', 'gpiochip0 5', 'gpiochip0 7', 'gpiochip1 2',
  ]);
  t.same(resolve('LED0 BUTTON\n'), ['gpiochip0 0', 'gpiochip0 3']);
  t.same(resolve('"status led" sim-b 0-1\n'), ['gpiochip0 5', 'gpiochip1 0', 'gpiochip1 1']);
  t.same(resolve('/dev/gpiochip0 1'), ['gpiochip0 1']);
});

t.test('resolved lines carry the chip they came from', async (t) => {
  const [line] = resolveSpec(parseSpec('RELAY'), CHIPS);
  t.equal(line?.chip, CHIPS[1]);
  t.equal(line?.offset, 2);
});

t.test('groups keep their order; each chip group is ascending', async (t) => {
  t.same(resolve('gpiochip1 5,1 gpiochip0 2 LED0'), ['gpiochip1 1', 'gpiochip1 5', 'gpiochip0 2', 'gpiochip0 0']);
  t.same(resolve('BUTTON LED0'), ['gpiochip0 3', 'gpiochip0 0']);
});

t.test('a line name as the last token is kept', async (t) => {
  t.same(resolve('gpiochip1 0 BUTTON'), ['gpiochip1 0', 'gpiochip0 3']);
});

t.test('chip keys: name, device path, label', async (t) => {
  t.same(resolve('gpiochip2 7'), ['gpiochip2 7']);
  t.same(resolve('/dev/gpiochip2 7'), ['gpiochip2 7']);
  t.same(resolve('big 7'), ['gpiochip2 7']);
  t.same(resolve('sim-a 7'), ['gpiochip0 7']);
});

t.test('a chip name beats another chip\'s label', async (t) => {
  const chips = [chip(0, 'gpiochip1', 8), chip(1, 'gpiochip0', 8)];
  t.same(resolve('gpiochip1 2', chips), ['gpiochip1 2']);
  t.same(resolve('gpiochip0 2', chips), ['gpiochip0 2']);
  t.equal(findChip('gpiochip1', chips), chips[1]);
});

t.test('a device path beats another chip\'s label', async (t) => {
  const chips = [chip(0, '/dev/gpiochip1', 8), chip(1, 'other', 8)];
  t.same(resolve('/dev/gpiochip1 2', chips), ['gpiochip1 2']);
});

t.test('a label shared by several chips selects the first in chip order', async (t) => {
  t.same(resolve('sim-b 3'), ['gpiochip1 3']);
  t.equal(findChip('sim-b', CHIPS), CHIPS[1]);
});

t.test('a line name found on several chips selects the first in chip order', async (t) => {
  t.same(resolve('LED0'), ['gpiochip0 0']);
  t.same(resolve('SPARE'), ['gpiochip3 1']);
});

t.test('unnamed lines are never matched by name', async (t) => {
  t.equal(findLineByName('', CHIPS), undefined);
  const err = rejection(() => resolveSpec([{ kind: 'name', name: '' }], CHIPS));
  t.equal(err.code, 'ENOENT');
});

t.test('error table: empty, whitespace only, unbalanced quote → EINVAL', async (t) => {
  for (const spec of ['', ' \t ', '\n', '"status led sim-b 0-1', 'LED0 "']) {
    t.equal(rejected(spec).code, 'EINVAL', JSON.stringify(spec));
  }
});

t.test('error table: malformed offset list → EINVAL', async (t) => {
  for (const list of ['3-', '5-3', '1,,2', '0x']) {
    const err = rejected(`gpiochip0 ${list}`);
    t.equal(err.code, 'EINVAL', list);
    t.match(err.message, `"${list}"`);
  }
  t.equal(rejected('gpiochip9 3-').code, 'EINVAL', 'a malformed spec is reported before unknown chips');
});

t.test('error table: offset ≥ the chip\'s line count → EINVAL', async (t) => {
  const err = rejected('gpiochip0 9');
  t.equal(err.code, 'EINVAL');
  t.equal(err.message, 'offset 9 out of range for gpiochip0 (8 lines)');
  t.equal(rejected('gpiochip0 8').code, 'EINVAL');
  t.same(resolve('gpiochip0 7'), ['gpiochip0 7']);
  t.equal(rejected('sim-b 16').message, 'offset 16 out of range for "sim-b" (gpiochip1, 16 lines)');
  t.equal(rejected('gpiochip0 0-65535').code, 'EINVAL');
});

t.test('error table: more than 512 lines → EINVAL', async (t) => {
  t.equal(resolve(`gpiochip2 0-${MAX_AGGREGATOR_LINES - 1}`).length, MAX_AGGREGATOR_LINES);
  t.equal(resolve(`gpiochip2 0-${MAX_AGGREGATOR_LINES - 2} LED0`).length, MAX_AGGREGATOR_LINES);
  const err = rejected(`gpiochip2 0-${MAX_AGGREGATOR_LINES}`);
  t.equal(err.code, 'EINVAL');
  t.match(err.message, /too many lines: "gpiochip2" .* total to 513, at most 512/);
  const byName = rejected(`gpiochip2 0-${MAX_AGGREGATOR_LINES - 1} LED0`);
  t.equal(byName.code, 'EINVAL');
  t.match(byName.message, /"LED0" brings the total to 513/);
  t.equal(rejected('gpiochip2 0-599').code, 'EINVAL');
});

t.test('error table: the same line twice → EINVAL', async (t) => {
  const acrossGroups = rejected('gpiochip0 3 gpiochip0 1-3');
  t.equal(acrossGroups.code, 'EINVAL');
  t.equal(acrossGroups.message, 'line gpiochip0 3 selected twice');
  t.equal(rejected('sim-a 3 /dev/gpiochip0 3').code, 'EINVAL', 'through different keys');
  const byName = rejected('gpiochip0 3 BUTTON');
  t.equal(byName.code, 'EINVAL');
  t.equal(byName.message, 'line gpiochip0 3 selected twice (again by name "BUTTON")');
  t.equal(rejected('LED0 LED0').code, 'EINVAL');
  t.equal(rejected('LED0 gpiochip0 0').code, 'EINVAL');
  t.same(resolve('gpiochip0 3,3,3'), ['gpiochip0 3'], 'repeats inside one list are merged, not an error');
});

t.test('error table: unknown chip key or line name → ENOENT', async (t) => {
  const chipErr = rejected('gpiochip9 1');
  t.equal(chipErr.code, 'ENOENT');
  t.equal(chipErr.message, 'unknown chip "gpiochip9"');
  t.equal(rejected('/dev/gpiochip9 1').code, 'ENOENT');
  const nameErr = rejected('LED0 NOPE');
  t.equal(nameErr.code, 'ENOENT');
  t.equal(nameErr.message, 'unknown line name "NOPE"');
  t.equal(rejected('led0').code, 'ENOENT', 'names are case-sensitive');
});

t.test('unknown-name messages explain a lone chip key or a stray offset list', async (t) => {
  t.equal(rejected('gpiochip0').message, 'unknown line name "gpiochip0" (that is a chip: follow it with an offset list)');
  t.equal(rejected('gpiochip0 -1').message, 'unknown line name "gpiochip0" (that is a chip: follow it with an offset list)');
  t.equal(rejected('gpiochip0 3 5').message, 'unknown line name "5" (an offset list must follow a chip key)');
});

// Random specs reaching every outcome: whole groups (mostly accepted, some
// out of range, duplicated, too many or unknown), loose tokens (mostly
// malformed or unknown) and arbitrary text.
const chipKey = fc.constantFrom('gpiochip0', 'gpiochip1', 'gpiochip2', 'gpiochip9', '/dev/gpiochip0', 'sim-a', 'sim-b', 'big');
const offsetList = fc.constantFrom('0', '3', '7', '8', '15', '0-3', '3-5,7', '1,3', '0-599', '100-400');
const lineName = fc.constantFrom('LED0', 'LED1', 'BUTTON', '"status led"', 'RELAY', 'LAST', 'SPARE', 'NOPE');
const group = fc.oneof(lineName, fc.tuple(chipKey, offsetList).map(([key, list]) => `${key} ${list}`));
const looseToken = fc.oneof(
  chipKey,
  offsetList,
  lineName,
  fc.constantFrom('0x', '5-3', '1,,2', '3-', '"', '""', '\n'),
  fc.string({ maxLength: 5 }),
);
const spec = fc.oneof(
  { weight: 3, arbitrary: fc.array(group, { minLength: 1, maxLength: 4 }).map((groups) => groups.join(' ')) },
  { weight: 2, arbitrary: fc.array(looseToken, { maxLength: 8 }).map((tokens) => tokens.join(' ')) },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.fullUnicodeString() },
);

t.test('property: any spec resolves or fails with EINVAL/ENOENT, nothing else', async (t) => {
  fc.assert(
    fc.property(spec, (text) => {
      try {
        const lines = resolveSpec(parseSpec(text), CHIPS);
        const keys = lines.map((line) => `${line.chip.name} ${line.offset}`);
        return (
          lines.length >= 1 &&
          lines.length <= MAX_AGGREGATOR_LINES &&
          new Set(keys).size === keys.length &&
          lines.every((line) => line.offset < line.chip.lines)
        );
      } catch (err) {
        return err instanceof GpioAggError && (err.code === 'EINVAL' || err.code === 'ENOENT');
      }
    }),
    { numRuns: RUNS },
  );
  t.pass('held');
});

t.test('property: a rejected spec is rejected the same way every time', async (t) => {
  const outcome = (text: string, chips: readonly ChipInfo[]): string => {
    try {
      return `ok ${JSON.stringify(resolve(text, chips))}`;
    } catch (err) {
      return err instanceof GpioAggError ? `${err.code} ${err.message}` : `unexpected ${String(err)}`;
    }
  };
  fc.assert(
    fc.property(spec, (text) => {
      const first = outcome(text, CHIPS);
      return outcome(text, CHIPS) === first && outcome(text, structuredClone(CHIPS)) === first;
    }),
    { numRuns: RUNS },
  );
  t.pass('held');
});
