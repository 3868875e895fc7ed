import fc from 'fast-check';
import t from 'tap';
import { findJsonSyntaxError, parseJsonFile, textPosition } from '../../lib/files/json-text.js';

const valid = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

t.test('the scanner finds an error exactly when JSON.parse fails', async (t) => {
  const mutated = fc.tuple(fc.json(), fc.nat(), fc.constantFrom('', '{', '}', '[', ']', ',', ':', '"', '\\', '0', '-', 'e', 'tru', '\n', ' ', '\u0001'))
    .map(([json, at, insert]) => {
      const index = json.length === 0 ? 0 : at % (json.length + 1);
      return json.slice(0, index) + insert + json.slice(index + (at % 2));
    });
  t.doesNotThrow(() => fc.assert(fc.property(fc.oneof(fc.json(), mutated, fc.string()),
    (text) => (findJsonSyntaxError(text) === undefined) === valid(text)), { numRuns: 3000 }));
});

t.test('positions and what was expected', async (t) => {
  t.same(findJsonSyntaxError('{"a": 1,}'), { index: 8, expected: 'a property name in double quotes' });
  t.same(findJsonSyntaxError('[1 2]'), { index: 3, expected: "',' or ']'" });
  t.same(findJsonSyntaxError('{"a" 1}'), { index: 5, expected: "':'" });
  t.same(findJsonSyntaxError('"abc'), { index: 4, expected: 'a closing quote' });
  t.same(findJsonSyntaxError('{} x'), { index: 3, expected: 'the end of the text' });
  t.same(findJsonSyntaxError(''), { index: 0, expected: 'a value' });
  t.same(textPosition('ab\ncd€f', 7), { line: 2, column: 5, byteOffset: 9 }, 'columns count characters, offsets bytes');
});

t.test('a syntax error names the file and position and never quotes the text', async (t) => {
  const secret = 'root:$6$SECRETHASH:19000:0:99999:7:::\n';
  for (const text of [secret, `{"version": 1, "x": ${secret}}`, `{"a": "${'SECRETHASH'.repeat(3)}`]) {
    const err = t.throws(() => parseJsonFile(text, '/some/file.json', 'state file')) as Error;
    t.match(err, { code: 'EINVAL', message: /^\/some\/file\.json: the state file is not valid JSON: at line \d+, column \d+ \(byte \d+\): expected / });
    t.notMatch(err.message, /SECRET|root:|\$6/, 'no byte of the file in the message');
  }
  t.same(parseJsonFile('{"a": [1]}', 'f', 'x'), { a: [1] });
});
