import t from 'tap';
import fc from 'fast-check';
import { GpioAggError } from '../../lib/errors.js';
import type { ChipInfo } from '../../lib/gpio/backend.js';
import { formatSpec } from '../../lib/spec/format.js';
import { parseSpec } from '../../lib/spec/parse.js';
import { MAX_AGGREGATOR_LINES, resolveSpec, type ResolvedLine } from '../../lib/spec/resolve.js';

const RUNS = 200;

function chip(name: string, label: string, lines: number, names: Record<number, string> = {}): ChipInfo {
  return {
    name,
    label,
    path: `/dev/${name}`,
    lines,
    lineNames: Array.from({ length: lines }, (_, offset) => names[offset] ?? ''),
  };
}

/** The demo board, a big chip, and chips whose names need care when written. */
const CHIPS: readonly ChipInfo[] = [
  chip('gpiochip0', 'sim-a', 8, { 0: 'LED0', 1: 'LED1', 3: 'BUTTON', 5: 'status led' }),
  chip('gpiochip1', 'sim-b', 16, { 2: 'RELAY' }),
  chip('gpiochip2', 'gpiochip0', 600),
  chip('odd chip', 'spaced', 4),
  chip('7seg', 'digits', 4, { 1: 'SEG_B' }),
];

const lineText = (lines: readonly ResolvedLine[]): string[] => lines.map((line) => `${line.chip.name} ${line.offset}`);
const reresolve = (spec: string): ResolvedLine[] => resolveSpec(parseSpec(spec), CHIPS);
const normalise = (spec: string): string => formatSpec(reresolve(spec));

t.test('SPEC examples normalise to chip names and compressed lists', async (t) => {
  t.equal(normalise('gpiochip0 3-5,7 gpiochip1 2\n'), 'gpiochip0 3-5,7 gpiochip1 2');
  t.equal(normalise('LED0 BUTTON'), 'gpiochip0 0,3');
  t.equal(normalise('"status led" sim-b 0-1'), 'gpiochip0 5 gpiochip1 0-1');
  t.equal(normalise('/dev/gpiochip0 1'), 'gpiochip0 1');
});

t.test('consecutive groups on one chip merge while offsets rise', async (t) => {
  t.equal(normalise('sim-a 1 gpiochip0 2 LED0'), 'gpiochip0 1-2 gpiochip0 0');
  t.equal(normalise('LED0 LED1 gpiochip0 2-4,6'), 'gpiochip0 0-4,6');
  t.equal(normalise('BUTTON LED0'), 'gpiochip0 3 gpiochip0 0');
  t.equal(normalise('gpiochip0 1 gpiochip1 0 gpiochip0 2'), 'gpiochip0 1 gpiochip1 0 gpiochip0 2');
});

t.test('the chip name is written, never a label that another chip might own', async (t) => {
  t.equal(normalise('gpiochip0 1'), 'gpiochip0 1');
  t.equal(normalise('/dev/gpiochip2 1'), 'gpiochip2 1');
});

t.test('chip names that need quoting are quoted', async (t) => {
  t.equal(normalise('spaced 0-1'), '"odd chip" 0-1');
  t.equal(normalise('LED0 SEG_B'), 'gpiochip0 0 "7seg" 1');
  t.same(lineText(reresolve('gpiochip0 0 "7seg" 1')), ['gpiochip0 0', '7seg 1']);
});

t.test('no lines format to an empty string', async (t) => {
  t.equal(formatSpec([]), '');
});

t.test('a chip name no spec can hold is EINVAL', async (t) => {
  const quoted = chip('say "hi"', 'x', 1);
  t.throws(() => formatSpec([{ chip: quoted, offset: 0 }]), new GpioAggError('EINVAL', '"say "hi"" cannot be written as a spec token'));
});

const allLines: readonly ResolvedLine[] = CHIPS.flatMap((c) => Array.from({ length: c.lines }, (_, offset) => ({ chip: c, offset })));

const lineIndex = fc.integer({ min: 0, max: allLines.length - 1 });

/** Distinct lines in random order, sometimes in long ascending runs, up to the aggregator limit. */
const resolvedSpec: fc.Arbitrary<ResolvedLine[]> = fc
  .tuple(
    fc.oneof(
      fc.uniqueArray(lineIndex, { minLength: 1, maxLength: MAX_AGGREGATOR_LINES }),
      fc.uniqueArray(lineIndex, { minLength: MAX_AGGREGATOR_LINES - 20, maxLength: MAX_AGGREGATOR_LINES }),
    ),
    fc.boolean(),
  )
  .map(([indexes, sorted]) => (sorted ? [...indexes].sort((a, b) => a - b) : indexes))
  .map((indexes) => indexes.map((index) => allLines[index]).filter((line): line is ResolvedLine => line !== undefined));

t.test('property: a normalised spec re-resolves to the same lines', async (t) => {
  fc.assert(
    fc.property(resolvedSpec, (lines) => {
      const again = reresolve(formatSpec(lines));
      return again.length === lines.length && again.every((line, i) => line.chip === lines[i]?.chip && line.offset === lines[i]?.offset);
    }),
    { numRuns: RUNS },
  );
  t.pass('held');
});

t.test('property: normalising is idempotent', async (t) => {
  fc.assert(
    fc.property(resolvedSpec, (lines) => {
      const normal = formatSpec(lines);
      return normalise(normal) === normal;
    }),
    { numRuns: RUNS },
  );
  t.pass('held');
});

t.test('property: any accepted spec text normalises to the same lines', async (t) => {
  // Built from whole groups so that most specs are accepted (about 70%).
  const chipKey = fc.constantFrom(
    'gpiochip0', 'gpiochip1', 'gpiochip2', '/dev/gpiochip1', 'sim-a', 'sim-b', 'spaced', 'digits', '"7seg"',
  );
  const offsetList = fc.constantFrom('0', '1', '2-3', '0,2', '1-2,3', '3-5,7');
  const lineName = fc.constantFrom('LED0', 'LED1', 'BUTTON', '"status led"', 'RELAY', 'SEG_B');
  const group = fc.oneof(lineName, fc.tuple(chipKey, offsetList).map(([key, list]) => `${key} ${list}`));
  fc.assert(
    fc.property(fc.array(group, { minLength: 1, maxLength: 4 }), (groups) => {
      let lines: ResolvedLine[];
      try {
        lines = reresolve(groups.join(' '));
      } catch (err) {
        return err instanceof GpioAggError;
      }
      return JSON.stringify(lineText(reresolve(formatSpec(lines)))) === JSON.stringify(lineText(lines));
    }),
    { numRuns: RUNS },
  );
  t.pass('held');
});
