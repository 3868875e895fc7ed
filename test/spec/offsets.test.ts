import t from 'tap';
import fc from 'fast-check';
import { GpioAggError } from '../../lib/errors.js';
import { MAX_OFFSET, formatOffsetList, looksLikeOffsetList, parseOffsetList } from '../../lib/spec/offsets.js';
import { rejection } from '../helpers/rejection.js';

const RUNS = 300;

const ascendingUnique = (offsets: number[]): number[] => [...new Set(offsets)].sort((a, b) => a - b);

t.test('offsets and ranges come out ascending and de-duplicated', async (t) => {
  t.same(parseOffsetList('3-5,7'), [3, 4, 5, 7]);
  t.same(parseOffsetList('7,3-5'), [3, 4, 5, 7]);
  t.same(parseOffsetList('1,1,0-2,2'), [0, 1, 2]);
  t.same(parseOffsetList('0'), [0]);
  t.same(parseOffsetList('3-3'), [3]);
  t.same(parseOffsetList('007,0010'), [7, 10]);
  t.same(parseOffsetList('2-6,4-9'), [2, 3, 4, 5, 6, 7, 8, 9]);
});

t.test('offsets past the aggregator limit still parse; resolving judges them', async (t) => {
  t.same(parseOffsetList('600'), [600]);
  t.same(parseOffsetList(`${MAX_OFFSET}`), [MAX_OFFSET]);
  t.equal(parseOffsetList('0-1023').length, 1024);
});

t.test('malformed lists are EINVAL', async (t) => {
  const malformed = [
    '3-', '5-3', '1,,2', '0x', '0x1', '-1', '1-2-3', '', '+1', '1,', ',1', ',', '-', 'a',
    '1 2', '1.5', '1e3', '١', '3-5,7-', '3--5', '3-+5', ' 1',
  ];
  for (const list of malformed) {
    const err = rejection(() => parseOffsetList(list));
    t.equal(err.code, 'EINVAL', JSON.stringify(list));
    t.match(err.message, /^malformed offset list/, JSON.stringify(list));
  }
  t.match(rejection(() => parseOffsetList('5-3')).message, /range "5-3" runs backwards/);
  t.match(rejection(() => parseOffsetList('1,,2')).message, /empty item/);
  t.match(rejection(() => parseOffsetList('0x')).message, /"0x" is neither/);
});

t.test('huge offsets and ranges fail at once instead of expanding', async (t) => {
  for (const list of ['0-999999999', `${MAX_OFFSET + 1}`, '99999999999999999999999999', `0-${'9'.repeat(400)}`]) {
    const started = process.hrtime.bigint();
    const err = rejection(() => parseOffsetList(list));
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    t.equal(err.code, 'EINVAL', list.slice(0, 20));
    t.match(err.message, /larger than any GPIO chip/);
    t.ok(elapsedMs < 500, `rejected in ${elapsedMs} ms`);
  }
});

t.test('repeated full ranges cost no more than one', async (t) => {
  const list = Array.from({ length: 500 }, () => `0-${MAX_OFFSET}`).join(',');
  const offsets = parseOffsetList(list);
  t.equal(offsets.length, MAX_OFFSET + 1);
  t.equal(offsets.at(-1), MAX_OFFSET);
});

t.test('a token is meant as an offset list iff it starts with a digit', async (t) => {
  for (const text of ['0', '3-5,7', '0x', '5-3', '1,,2', '5V_EN']) t.ok(looksLikeOffsetList(text), text);
  for (const text of ['', '-1', '+1', ',1', 'x0', 'gpiochip0', ' 1', '١']) t.notOk(looksLikeOffsetList(text), text);
});

t.test('formatOffsetList writes ranges of two or more, ascending', async (t) => {
  t.equal(formatOffsetList([3, 4, 5, 7]), '3-5,7');
  t.equal(formatOffsetList([3, 4]), '3-4');
  t.equal(formatOffsetList([7, 5, 3, 4, 5]), '3-5,7');
  t.equal(formatOffsetList([0, 2, 4]), '0,2,4');
  t.equal(formatOffsetList([9]), '9');
  t.equal(formatOffsetList([]), '');
  for (const bad of [-1, 1.5, Number.NaN, MAX_OFFSET + 1]) {
    t.equal(rejection(() => formatOffsetList([bad])).code, 'EINVAL', String(bad));
  }
});

const offset = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: MAX_OFFSET }));

t.test('property: any set of offsets round-trips through format and parse', async (t) => {
  fc.assert(
    fc.property(fc.array(offset, { minLength: 1, maxLength: 60 }), (offsets) => {
      const text = formatOffsetList(offsets);
      return JSON.stringify(parseOffsetList(text)) === JSON.stringify(ascendingUnique(offsets));
    }),
    { numRuns: RUNS },
  );
  t.pass('held');
});

t.test('property: a written list is its own normal form', async (t) => {
  fc.assert(
    fc.property(fc.array(offset, { minLength: 1, maxLength: 60 }), (offsets) => {
      const text = formatOffsetList(offsets);
      return formatOffsetList(parseOffsetList(text)) === text;
    }),
    { numRuns: RUNS },
  );
  t.pass('held');
});

t.test('property: a list of ranges parses to their union', async (t) => {
  const range = fc
    .tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 20 }))
    .map(([first, length]) => ({ first, last: first + length }));
  fc.assert(
    fc.property(fc.array(range, { minLength: 1, maxLength: 10 }), (ranges) => {
      const text = ranges.map(({ first, last }) => (first === last ? `${first}` : `${first}-${last}`)).join(',');
      const union = ranges.flatMap(({ first, last }) => Array.from({ length: last - first + 1 }, (_, i) => first + i));
      return JSON.stringify(parseOffsetList(text)) === JSON.stringify(ascendingUnique(union));
    }),
    { numRuns: RUNS },
  );
  t.pass('held');
});

t.test('property: any string parses to ascending unique offsets or fails with EINVAL', async (t) => {
  const listChars = fc.constantFrom('0', '1', '3', '9', '-', ',', 'x', '+', ' ');
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.stringOf(listChars, { maxLength: 16 })), (text) => {
      let offsets: number[];
      try {
        offsets = parseOffsetList(text);
      } catch (err) {
        return err instanceof GpioAggError && err.code === 'EINVAL';
      }
      return offsets.length > 0 && offsets.every((value, i) => i === 0 || value > (offsets[i - 1] ?? -1));
    }),
    { numRuns: RUNS },
  );
  t.pass('held');
});
