import t from 'tap';
import fc from 'fast-check';
import { GpioAggError } from '../../lib/errors.js';
import { formatOffsetList } from '../../lib/spec/offsets.js';
import { parseSpec, type SpecGroup } from '../../lib/spec/parse.js';
import { quoteToken } from '../../lib/spec/tokenize.js';
import { rejection } from '../helpers/rejection.js';

const RUNS = 300;

t.test('SPEC examples', async (t) => {
  t.same(parseSpec('gpiochip0 3-5,7 gpiochip1 2\n'), [
    { kind: 'chip', key: 'gpiochip0', offsets: [3, 4, 5, 7] },
    { kind: 'chip', key: 'gpiochip1', offsets: [2] },
  ]);
  t.same(parseSpec('LED0 BUTTON\n'), [
    { kind: 'name', name: 'LED0' },
    { kind: 'name', name: 'BUTTON' },
  ]);
  t.same(parseSpec('"status led" sim-b 0-1\n'), [
    { kind: 'name', name: 'status led' },
    { kind: 'chip', key: 'sim-b', offsets: [0, 1] },
  ]);
  t.same(parseSpec('/dev/gpiochip0 1'), [{ kind: 'chip', key: '/dev/gpiochip0', offsets: [1] }]);
});

t.test('a token not followed by an offset list is a line name, also the last one', async (t) => {
  t.same(parseSpec('gpiochip0 1 LED0'), [
    { kind: 'chip', key: 'gpiochip0', offsets: [1] },
    { kind: 'name', name: 'LED0' },
  ]);
  t.same(parseSpec('LED0'), [{ kind: 'name', name: 'LED0' }]);
  t.same(parseSpec('gpiochip0'), [{ kind: 'name', name: 'gpiochip0' }]);
  t.same(parseSpec('LED0 gpiochip0 2'), [
    { kind: 'name', name: 'LED0' },
    { kind: 'chip', key: 'gpiochip0', offsets: [2] },
  ]);
});

t.test('one offset list per chip key; a second one is a line name', async (t) => {
  t.same(parseSpec('gpiochip0 3 5'), [
    { kind: 'chip', key: 'gpiochip0', offsets: [3] },
    { kind: 'name', name: '5' },
  ]);
  t.same(parseSpec('3 4'), [{ kind: 'chip', key: '3', offsets: [4] }]);
});

t.test('within a chip group offsets come out ascending and de-duplicated', async (t) => {
  t.same(parseSpec('gpiochip1 7,3-5,4'), [{ kind: 'chip', key: 'gpiochip1', offsets: [3, 4, 5, 7] }]);
  t.same(parseSpec('gpiochip1 2 gpiochip1 1'), [
    { kind: 'chip', key: 'gpiochip1', offsets: [2] },
    { kind: 'chip', key: 'gpiochip1', offsets: [1] },
  ]);
});

t.test('a token starting with a digit after a key must be a valid offset list', async (t) => {
  for (const list of ['3-', '5-3', '1,,2', '0x', '1-2-3', '5V_EN', '3-5,']) {
    const err = rejection(() => parseSpec(`gpiochip0 ${list}`));
    t.equal(err.code, 'EINVAL', list);
    t.match(err.message, `"${list}"`);
  }
});

t.test('quoting makes a digit-initial token a line name', async (t) => {
  t.same(parseSpec('LED0 "5V_EN"'), [
    { kind: 'name', name: 'LED0' },
    { kind: 'name', name: '5V_EN' },
  ]);
  t.same(parseSpec('"gpiochip0" 1'), [{ kind: 'chip', key: 'gpiochip0', offsets: [1] }]);
  t.same(parseSpec('gpiochip0 "1"'), [
    { kind: 'name', name: 'gpiochip0' },
    { kind: 'name', name: '1' },
  ]);
});

t.test('tokens not starting with a digit are never offset lists', async (t) => {
  t.same(parseSpec('gpiochip0 -1'), [
    { kind: 'name', name: 'gpiochip0' },
    { kind: 'name', name: '-1' },
  ]);
});

t.test('empty, whitespace-only and unbalanced-quote specs are EINVAL', async (t) => {
  for (const spec of ['', '   ', '\n', '"status led', 'gpiochip0 "3', '""']) {
    t.equal(rejection(() => parseSpec(spec)).code, 'EINVAL', JSON.stringify(spec));
  }
});

const nameText = fc.oneof(
  fc.constantFrom('LED0', 'BUTTON', 'status led', 'gpiochip0', '5V_EN', '-1', 'a"b'),
  fc.string({ minLength: 1, maxLength: 10 }),
).filter((name) => !name.includes('"'));
const keyText = fc.oneof(fc.constantFrom('gpiochip0', 'sim-b', '/dev/gpiochip1', 'my chip', '0abc'), nameText);
const offsets = fc.uniqueArray(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 12 });
const group: fc.Arbitrary<SpecGroup> = fc.oneof(
  nameText.map((name) => ({ kind: 'name' as const, name })),
  fc.tuple(keyText, offsets).map(([key, list]) => ({
    kind: 'chip' as const,
    key,
    offsets: [...list].sort((a, b) => a - b),
  })),
);

/** Spec text for groups: every name quoted, so none is taken for a key or a list. */
function writeGroups(groups: readonly SpecGroup[]): string {
  return groups
    .map((g) => (g.kind === 'name' ? `"${g.name}"` : `${quoteToken(g.key)} ${formatOffsetList(g.offsets)}`))
    .join(' ');
}

t.test('property: written groups parse back to the same groups', async (t) => {
  fc.assert(
    fc.property(fc.array(group, { minLength: 1, maxLength: 8 }), (groups) => {
      return JSON.stringify(parseSpec(writeGroups(groups))) === JSON.stringify(groups);
    }),
    { numRuns: RUNS },
  );
  t.pass('held');
});

t.test('property: any string parses or fails with EINVAL, nothing else', async (t) => {
  const token = fc.oneof(
    fc.constantFrom('gpiochip0', 'LED0', '"status led"', '3-5,7', '0x', '5-3', '1,,2', '"', '""', '-1', '\n'),
    fc.string({ maxLength: 6 }),
  );
  const spec = fc.oneof(fc.string(), fc.fullUnicodeString(), fc.array(token, { maxLength: 8 }).map((tokens) => tokens.join(' ')));
  fc.assert(
    fc.property(spec, (text) => {
      try {
        return parseSpec(text).length > 0;
      } catch (err) {
        return err instanceof GpioAggError && err.code === 'EINVAL';
      }
    }),
    { numRuns: RUNS },
  );
  t.pass('held');
});
