import { execFileSync } from 'node:child_process';
import { chmod, chown, link, lstat, mkdir, mkdtemp, readdir, readFile, readlink, stat, symlink, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { EMPTY_STATE, loadState, lockState, saveState, serializeState, type SavedState } from '../../lib/state/state-file.js';

/** A uid and gid that are not this process's (the tests run as root). */
const OTHER = 61234;

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
  t.throws(() => saveState(file, sample), { code: 'ENOENT', message: /no\/state\.json: cannot use the state file: its directory .*\/no is not usable/ });
  t.throws(() => loadState(file), { code: 'ENOENT', message: /no\/state\.json: cannot use the state file/ });
});

t.test('the saved file is a regular file of ours, mode 0600, whatever the umask', async (t) => {
  const file = join(await tempDir(t), 'state.json');
  const umask = process.umask(0o000);
  try {
    saveState(file, sample);
  } finally {
    process.umask(umask);
  }
  const info = await lstat(file);
  t.equal(info.isFile(), true);
  t.equal(info.mode & 0o7777, 0o600);
  t.equal(info.uid, process.geteuid?.());
});

t.test('a planted symlink at the old fixed temporary name is neither followed nor touched', async (t) => {
  const dir = await tempDir(t);
  const victim = join(dir, 'victim');
  await writeFile(victim, 'precious\n');
  await symlink(victim, join(dir, '.state.json.tmp'));
  saveState(join(dir, 'state.json'), sample);
  t.equal(await readFile(victim, 'utf8'), 'precious\n');
  t.equal(await readlink(join(dir, '.state.json.tmp')), victim);
  t.same((await readdir(dir)).sort(), ['.state.json.tmp', 'state.json', 'victim']);
});

t.test('a symlink at the state path is refused when loading and replaced, not followed, when saving', async (t) => {
  const dir = await tempDir(t);
  const secret = join(dir, 'secret');
  await writeFile(secret, 'TOPSECRET-PASSWORD\n', { mode: 0o600 });
  const file = join(dir, 'state.json');
  await symlink(secret, file);
  const err = t.throws(() => loadState(file), { code: 'ELOOP', message: /state\.json: refusing the state file: it is a symbolic link/ }) as Error;
  t.notMatch(err.message, /TOPSECRET/);
  saveState(file, sample);
  t.equal(await readFile(secret, 'utf8'), 'TOPSECRET-PASSWORD\n', 'the target is untouched');
  t.equal((await lstat(file)).isFile(), true, 'the name now holds the state');
});

t.test('files and directories others could change are refused, saying why', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'state.json');
  await writeFile(file, serializeState(sample), { mode: 0o600 });

  await chown(file, OTHER, OTHER);
  t.throws(() => loadState(file), { code: 'EACCES', message: new RegExp(`state\\.json: refusing the state file: it is owned by uid ${OTHER}, not by root`) });
  await chown(file, 0, 0);
  await chmod(file, 0o620);
  t.throws(() => loadState(file), { code: 'EACCES', message: /its mode 0620 lets other users write it/ });
  await chmod(file, 0o644);
  t.equal(loadState(file).aggregators.length, 2, 'readable by others is fine (it is rewritten 0600 at the next save)');
  await link(file, join(dir, 'other-name'));
  t.throws(() => loadState(file), { code: 'EACCES', message: /it has 2 hard links/ });
  await rm(join(dir, 'other-name'));
  await rm(file);
  execFileSync('mkfifo', [file]);
  t.throws(() => loadState(file), { code: 'EINVAL', message: /refusing the state file: it is not a regular file/ }, 'a FIFO does not hang the start');
  await rm(file);

  const open = join(dir, 'open');
  await mkdir(open);
  await chmod(open, 0o777);
  const inOpen = join(open, 'state.json');
  const why = /open \(mode 0777\) is writable by other users and has no sticky bit, so anyone could replace the state file/;
  t.throws(() => loadState(inOpen), { code: 'EACCES', message: why });
  t.throws(() => saveState(inOpen, sample), { code: 'EACCES', message: why });
  await chmod(open, 0o775);
  t.throws(() => loadState(inOpen), { code: 'EACCES', message: /mode 0775\) is writable by other users/, }, 'group-writable too');
  const below = join(open, 'below');
  await mkdir(below, { mode: 0o700 });
  t.throws(() => saveState(join(below, 'state.json'), sample), { code: 'EACCES', message: /open \(mode 0775\)/ }, 'a directory above counts');
  await chmod(open, 0o1777);
  saveState(inOpen, sample);
  t.same(loadState(inOpen).aggregators.length, 2, 'a sticky directory such as /tmp is accepted');

  const owned = join(dir, 'owned');
  await mkdir(owned, { mode: 0o755 });
  await chown(owned, OTHER, OTHER);
  t.throws(() => saveState(join(owned, 'state.json'), sample), { code: 'EACCES', message: new RegExp(`owned is owned by uid ${OTHER}, not by root or by this process \\(uid 0\\), so that user could replace the state file`) });
  await symlink(owned, join(dir, 'link'));
  t.throws(() => loadState(join(dir, 'link', 'state.json')), { code: 'EACCES', message: /link is owned by uid/ }, 'also through a symlinked directory');
  t.same(await readdir(owned), [], 'nothing was written there');
});

t.test('a syntax error names the position, never the content', async (t) => {
  const file = join(await tempDir(t), 'state.json');
  await writeFile(file, '{\n  "version": 1,\n  "aggregators": [SECRET-TOKEN-4711],\n  "permissions": {}\n}\n', { mode: 0o600 });
  const err = t.throws(() => loadState(file), {
    code: 'EINVAL',
    message: /state\.json: the state file is not valid JSON: at line 3, column 19 \(byte 36\): expected a value; restore it from a backup/,
  }) as Error;
  t.notMatch(err.message, /SECRET|4711/);
  await writeFile(file, '{"version": 1, "aggregators": [{"id": "SECRET-ID", "spec": "x"}], "permissions": {}}');
  const schema = t.throws(() => loadState(file), { code: 'EINVAL', message: /aggregators\[0\]\.id: expected an aggregator number/ }) as Error;
  t.notMatch(schema.message, /SECRET/, 'schema errors name the field, not the value');
});

t.test('the lock: one holder at a time, named; never through a symlink; free again once released', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'state.json');
  const lock = lockState(file);
  t.equal((await stat(`${file}.lock`)).mode & 0o7777, 0o600);
  t.equal(await readFile(`${file}.lock`, 'utf8'), `${process.pid}\n`);
  t.throws(() => lockState(file), {
    code: 'EBUSY',
    message: new RegExp(`the state file .*state\\.json is in use by another gpio-aggfs \\(pid ${process.pid}\\), which holds .*state\\.json\\.lock`),
  });
  lock.release();
  lockState(file).release();

  const victim = join(dir, 'victim');
  await writeFile(victim, 'precious\n');
  const other = join(dir, 'other.json');
  await symlink(victim, `${other}.lock`);
  t.throws(() => lockState(other), { code: 'ELOOP', message: /other\.json\.lock: refusing the lock file: it is a symbolic link/ });
  t.equal(await readFile(victim, 'utf8'), 'precious\n');
  const foreign = join(dir, 'foreign.json');
  await writeFile(`${foreign}.lock`, '', { mode: 0o600 });
  await chown(`${foreign}.lock`, OTHER, OTHER);
  t.throws(() => lockState(foreign), { code: 'EACCES', message: new RegExp(`foreign\\.json\\.lock: refusing the lock file: it is owned by uid ${OTHER}`) });
});

t.test('a hard link to a file of root\'s at the lock name is refused before anything is written to it', async (t) => {
  const dir = await tempDir(t);
  const victim = join(dir, 'victim');
  await writeFile(victim, 'precious\n', { mode: 0o600 });
  const file = join(dir, 'state.json');
  await link(victim, `${file}.lock`);
  t.throws(() => lockState(file), { code: 'EACCES', message: /state\.json\.lock: refusing the lock file: it has 2 hard links; another name of it may be in a place others control/ });
  t.equal(await readFile(victim, 'utf8'), 'precious\n', 'neither truncated nor given a pid');
  t.same(await readdir(dir), ['state.json.lock', 'victim'], 'and no state file was made');
});
