import t from 'tap';
import fc from 'fast-check';
import { GpioAggError } from '../../lib/errors.js';
import { quoteToken, tokenize } from '../../lib/spec/tokenize.js';
import { rejection } from '../helpers/rejection.js';

const RUNS = 300;

const texts = (spec: string): string[] => tokenize(spec).map((token) => token.text);

t.test('splits on any run of whitespace, including the newline from echo', async (t) => {
  t.same(texts('gpiochip0 3-5,7 gpiochip1 2'), ['gpiochip0', '3-5,7', 'gpiochip1', '2']);
  t.same(texts('  LED0\t\tBUTTON \n'), ['LED0', 'BUTTON']);
  t.same(texts('a\r\nb\vc\fd'), ['a', 'b', 'c', 'd']);
  t.same(tokenize('LED0\n'), [{ text: 'LED0', quoted: false }]);
});

t.test('double quotes group a token containing spaces', async (t) => {
  t.same(tokenize('"status led" sim-b 0-1'), [
    { text: 'status led', quoted: true },
    { text: 'sim-b', quoted: false },
    { text: '0-1', quoted: false },
  ]);
  t.same(texts('"  padded\t"'), ['  padded\t']);
});

t.test('quotes may open and close mid-token, like a shell word', async (t) => {
  t.same(tokenize('a"b c"d'), [{ text: 'ab cd', quoted: true }]);
  t.same(texts('"a""b" x"y"'), ['ab', 'xy']);
  t.same(texts('"3"-5'), ['3-5']);
  t.equal(tokenize('"3"-5')[0]?.quoted, true);
});

t.test('backslash is an ordinary character', async (t) => {
  t.same(texts('a\\ b c\\"d e"'), ['a\\', 'b', 'c\\d e']);
});

t.test('empty and whitespace-only input is EINVAL', async (t) => {
  for (const spec of ['', ' ', '\n', ' \t \n ', '\r\n']) {
    const err = rejection(() => tokenize(spec));
    t.equal(err.code, 'EINVAL', JSON.stringify(spec));
    t.match(err.message, /empty spec/);
  }
});

t.test('an unbalanced quote is EINVAL and says where it opened', async (t) => {
  for (const spec of ['"', '"status led', 'LED0 "BUTTON', 'a"b c"d"e', '"a" "b" "']) {
    t.equal(rejection(() => tokenize(spec)).code, 'EINVAL', spec);
  }
  t.match(rejection(() => tokenize('LED0 "BUTTON')).message, /quote at character 6/);
});

t.test('an empty quoted token is EINVAL, never a match for an unnamed line', async (t) => {
  for (const spec of ['""', 'LED0 "" BUTTON', '"" ""']) {
    const err = rejection(() => tokenize(spec));
    t.equal(err.code, 'EINVAL', spec);
    t.match(err.message, /empty quoted token/);
  }
});

t.test('quoteToken writes what tokenize reads back', async (t) => {
  t.equal(quoteToken('gpiochip0'), 'gpiochip0');
  t.equal(quoteToken('status led'), '"status led"');
  t.equal(quoteToken('tab\there'), '"tab\there"');
  t.equal(quoteToken('back\\slash'), 'back\\slash');
  t.equal(quoteToken('5V_EN'), '"5V_EN"', 'would otherwise read as an offset list');
  t.same(tokenize(quoteToken('5V_EN')), [{ text: '5V_EN', quoted: true }]);
  t.equal(rejection(() => quoteToken('')).code, 'EINVAL');
  t.equal(rejection(() => quoteToken('say "hi"')).code, 'EINVAL');
});

t.test('property: any string tokenizes or fails with EINVAL, nothing else', async (t) => {
  const specChars = fc.constantFrom('a', 'Z', '0', '7', '-', ',', ' ', '\t', '\n', '"', '\\', 'é', '/');
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.fullUnicodeString(), fc.stringOf(specChars, { maxLength: 40 })), (spec) => {
      let tokens;
      try {
        tokens = tokenize(spec);
      } catch (err) {
        return err instanceof GpioAggError && err.code === 'EINVAL';
      }
      return (
        tokens.length > 0 &&
        tokens.every((token) => token.text !== '' && !token.text.includes('"')) &&
        tokens.every((token) => token.quoted || !/[ \t\n\v\f\r]/.test(token.text))
      );
    }),
    { numRuns: RUNS },
  );
  t.pass('held');
});

t.test('property: quoted tokens joined by whitespace split back unchanged', async (t) => {
  const tokenText = fc.string({ minLength: 1, maxLength: 12 }).filter((text) => !text.includes('"'));
  const separator = fc.stringOf(fc.constantFrom(' ', '\t', '\n', '\r'), { minLength: 1, maxLength: 3 });
  fc.assert(
    fc.property(fc.array(tokenText, { minLength: 1, maxLength: 8 }), separator, (tokens, between) => {
      const spec = tokens.map(quoteToken).join(between) + '\n';
      return JSON.stringify(texts(spec)) === JSON.stringify(tokens);
    }),
    { numRuns: RUNS },
  );
  t.pass('held');
});
