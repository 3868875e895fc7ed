import { mkdtemp, readdir, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { EMPTY_STATE, loadState, saveState, serializeState, type SavedState } from '../../lib/state/state-file.js';

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gpio-aggfs-state-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const sample: SavedState = {
  aggregators: [{ id: 2, spec: 'gpiochip1 3-4' }, { id: 0, spec: 'gpiochip0 0-1' }],
  permissions: new Map([
    ['gpio-agg.0/line1', { mode: 0o750, uid: 1000, gid: 1001 }],
    ['agg/new_device', { mode: 0o220, uid: 1000, gid: 0 }],
  ]),
};

t.test('save then load gives the same state, sorted', async (t) => {
  const file = join(await tempDir(t), 'state.json');
  saveState(file, sample);
  const loaded = loadState(file);
  t.same(loaded.aggregators, [{ id: 0, spec: 'gpiochip0 0-1' }, { id: 2, spec: 'gpiochip1 3-4' }]);
  t.same([...loaded.permissions], [
    ['agg/new_device', { mode: 0o220, uid: 1000, gid: 0 }],
    ['gpio-agg.0/line1', { mode: 0o750, uid: 1000, gid: 1001 }],
  ]);
  const text = await readFile(file, 'utf8');
  t.match(text, /"gpio-agg.0\/line1": \{"mode":"0750","uid":1000,"gid":1001\}/, 'modes are octal strings');
  t.equal(text, serializeState(sample));
});

t.test('saving replaces the file and leaves no temporary file behind', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'state.json');
  saveState(file, sample);
  saveState(file, EMPTY_STATE);
  t.same(await readdir(dir), ['state.json']);
  t.same(loadState(file).aggregators, []);
});

t.test('a missing file is an empty state', async (t) => {
  const loaded = loadState(join(await tempDir(t), 'none.json'));
  t.same(loaded.aggregators, []);
  t.equal(loaded.permissions.size, 0);
});

t.test('a damaged file is refused with a message naming it', async (t) => {
  const dir = await tempDir(t);
  const cases: [string, string, RegExp][] = [
    ['empty', '', /empty\.json: the state file is empty/],
    ['blank', '  \n', /blank\.json: the state file is empty/],
    ['truncated', '{"version": 1, "aggreg', /truncated\.json: the state file is not valid JSON/],
    ['wrong-version', '{"version": 2, "aggregators": [], "permissions": {}}', /wrong-version\.json: version: expected state format version 1/],
    ['bad-mode', '{"version": 1, "aggregators": [], "permissions": {"agg": {"mode": "999", "uid": 0, "gid": 0}}}',
      /bad-mode\.json: permissions\.agg\.mode: expected an octal mode/],
    ['unknown-field', '{"version": 1, "aggregators": [{"id": 0, "spec": "x", "colour": 1}], "permissions": {}}',
      /unknown-field\.json: aggregators\[0\]\.colour: unknown field/],
    ['duplicate-id', '{"version": 1, "aggregators": [{"id": 0, "spec": "x"}, {"id": 0, "spec": "y"}], "permissions": {}}',
      /duplicate-id\.json: aggregators\[1\]\.id: expected a unique id/],
    ['missing', '{"version": 1, "permissions": {}}', /missing\.json: aggregators: missing/],
  ];
  for (const [name, text, message] of cases) {
    const file = join(dir, `${name}.json`);
    await writeFile(file, text);
    t.throws(() => loadState(file), { code: 'EINVAL', message }, name);
  }
});

t.test('a state file in a missing directory fails with ENOENT', async (t) => {
  const file = join(await tempDir(t), 'no', 'state.json');
  t.throws(() => saveState(file, sample), { code: 'ENOENT', message: /no\/state\.json: cannot save the state file/ });
});

t.test('100 saves in a row are fast enough to do one per change', async (t) => {
  const file = join(await tempDir(t), 'state.json');
  const start = process.hrtime.bigint();
  for (let i = 0; i < 100; i += 1) saveState(file, sample);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.comment(`100 atomic saves: ${ms.toFixed(1)} ms`);
  t.ok(ms < 10000, `took ${ms} ms`);
});
