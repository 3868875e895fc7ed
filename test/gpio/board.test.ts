import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadBoard, parseBoard } from '../../lib/gpio/board.js';
import { GpioAggError } from '../../lib/errors.js';

const demoBoard = fileURLToPath(new URL('../../fixtures/demo-board.json', import.meta.url));

t.test('loads the demo board', async (t) => {
  const board = loadBoard(demoBoard);
  t.equal(board.source, demoBoard);
  t.equal(board.chips.length, 2);
  const [a, b] = board.chips;
  t.match(a, { label: 'sim-a', lines: 8, bias: true });
  t.same(a?.lineNames, ['LED0', 'LED1', '', 'BUTTON', '', 'status led', '', '']);
  t.match(b, { label: 'sim-b', lines: 16, bias: true });
  t.equal(b?.lineNames.length, 16);
  t.equal(b?.lineNames[2], 'RELAY');
});

t.test('accepts optional fields and their limits', async (t) => {
  const board = parseBoard({
    chips: [
      { label: 'x', lines: 1 },
      { label: 'y', lines: 512, bias: false, names: {} },
      { label: 'z', lines: 2, bias: true, names: { 1: 'ONE' } },
    ],
  }, 'b.json');
  t.same(board.chips.map((chip) => chip.bias), [true, false, true]);
  t.same(board.chips[0]?.lineNames, ['']);
  t.same(board.chips[2]?.lineNames, ['', 'ONE']);
});

const invalid: Array<[string, unknown, string]> = [
  ['top level not an object', [], 'board.json: (top level): expected an object with "chips", got an array'],
  ['top level null', null, 'board.json: (top level): expected an object with "chips", got null'],
  ['unknown top-level field', { chips: [{ label: 'a', lines: 1 }], extra: 1 }, 'board.json: extra: unknown field'],
  ['chips missing', {}, 'board.json: chips: expected a non-empty array, got nothing'],
  ['chips empty', { chips: [] }, 'board.json: chips: expected a non-empty array, got an array'],
  ['chip not an object', { chips: ['a'] }, 'board.json: chips[0]: expected an object, got "a"'],
  ['unknown chip field', { chips: [{ label: 'a', lines: 1, line: 2 }] }, 'board.json: chips[0].line: unknown field'],
  ['label missing', { chips: [{ lines: 1 }] }, 'board.json: chips[0].label: expected a non-empty string, got nothing'],
  ['label empty', { chips: [{ label: '', lines: 1 }] }, 'board.json: chips[0].label: expected a non-empty string, got ""'],
  ['label not a string', { chips: [{ label: 3, lines: 1 }] }, 'board.json: chips[0].label: expected a non-empty string, got 3'],
  ['lines a string', { chips: [{ label: 'a', lines: 8 }, { label: 'b', lines: 'x' }] },
    'board.json: chips[1].lines: expected an integer from 1 to 512, got "x"'],
  ['lines missing', { chips: [{ label: 'a' }] }, 'board.json: chips[0].lines: expected an integer from 1 to 512, got nothing'],
  ['lines zero', { chips: [{ label: 'a', lines: 0 }] }, 'board.json: chips[0].lines: expected an integer from 1 to 512, got 0'],
  ['lines too many', { chips: [{ label: 'a', lines: 513 }] }, 'board.json: chips[0].lines: expected an integer from 1 to 512, got 513'],
  ['lines fractional', { chips: [{ label: 'a', lines: 1.5 }] }, 'board.json: chips[0].lines: expected an integer from 1 to 512, got 1.5'],
  ['names an array', { chips: [{ label: 'a', lines: 2, names: ['A'] }] },
    'board.json: chips[0].names: expected an object of offset → name, got an array'],
  ['name offset out of range', { chips: [{ label: 'a', lines: 8, names: { 8: 'X' } }] },
    'board.json: chips[0].names["8"]: expected a decimal line offset below 8'],
  ['name offset with a leading zero', { chips: [{ label: 'a', lines: 8, names: { '01': 'X' } }] },
    'board.json: chips[0].names["01"]: expected a decimal line offset below 8'],
  ['name offset negative', { chips: [{ label: 'a', lines: 8, names: { '-1': 'X' } }] },
    'board.json: chips[0].names["-1"]: expected a decimal line offset below 8'],
  ['name offset not a number', { chips: [{ label: 'a', lines: 8, names: { LED: 'X' } }] },
    'board.json: chips[0].names["LED"]: expected a decimal line offset below 8'],
  ['name not a string', { chips: [{ label: 'a', lines: 8, names: { 1: 7 } }] },
    'board.json: chips[0].names["1"]: expected a string, got 7'],
  ['bias not a boolean', { chips: [{ label: 'a', lines: 8, bias: 'no' }] },
    'board.json: chips[0].bias: expected true or false, got "no"'],
];

for (const [what, json, message] of invalid) {
  t.test(`rejects: ${what}`, async (t) => {
    t.throws(() => parseBoard(json, 'board.json'), { name: 'GpioAggError', code: 'EINVAL', message });
  });
}

t.test('loadBoard reports unreadable and malformed files with the path', async (t) => {
  const dir = t.testdir({ 'bad.json': '{ "chips": [', 'wrong.json': '{ "chips": [ { "label": "a", "lines": "x" } ] }' });
  const missing = join(dir, 'missing.json');
  t.throws(() => loadBoard(missing), { code: 'ENOENT', message: new RegExp(`^${missing}: `) });

  const bad = join(dir, 'bad.json');
  const err = t.throws(() => loadBoard(bad), { code: 'EINVAL' });
  t.ok(err instanceof GpioAggError && err.message.startsWith(`${bad}: not valid JSON: `));

  const wrong = join(dir, 'wrong.json');
  t.throws(() => loadBoard(wrong), {
    code: 'EINVAL',
    message: `${wrong}: chips[0].lines: expected an integer from 1 to 512, got "x"`,
  });

  writeFileSync(join(dir, 'ok.json'), JSON.stringify({ chips: [{ label: 'a', lines: 3 }] }));
  t.equal(loadBoard(join(dir, 'ok.json')).chips[0]?.lines, 3);
});

t.test('board files are UTF-8: names read as written, other bytes refused', async (t) => {
  const dir = t.testdir({});
  const utf8 = join(dir, 'utf8.json');
  writeFileSync(utf8, Buffer.from(JSON.stringify({ chips: [{ label: 'a', lines: 2, names: { 0: 'LED→', 1: 'Tür' } }] }), 'utf8'));
  t.same(loadBoard(utf8).chips[0]?.lineNames, ['LED→', 'Tür']);
  const latin1 = join(dir, 'latin1.json');
  writeFileSync(latin1, Buffer.from('{ "chips": [ { "label": "a", "lines": 1, "names": { "0": "T\xfcr" } } ] }', 'latin1'));
  t.throws(() => loadBoard(latin1), { code: 'EINVAL', message: `${latin1}: not valid UTF-8` });
});
