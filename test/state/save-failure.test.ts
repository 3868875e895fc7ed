import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { q, run, sh } from '../helpers/run.js';

/*
 * A change that cannot be saved is not made: with the state directory on a
 * tiny tmpfs that is full (ENOSPC), or remounted read-only (EROFS), a
 * new_device, delete_device, chmod or chown fails with that errno and the
 * mount and the state file stay exactly as they were. Once saving works
 * again, changes work again. Needs root (mount -t tmpfs), as the whole suite.
 */

// A daemon and some fifty shell commands take a while on a loaded machine.
t.setTimeout(300000);

const base = await mkdtemp(join(tmpdir(), 'gpio-aggfs-save-failure-'));
const dir = join(base, 'state');
await mkdir(dir, { mode: 0o700 });
// 16 pages: room for the state file, its lock, a temporary file and little else.
const mounted = await run(['mount', '-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'gpio-aggfs-test', dir]);
if (mounted.code !== 0) throw new Error(`cannot mount a tmpfs for the test: ${mounted.stderr}`);
t.teardown(async () => {
  await run(['umount', dir]);
  await rm(base, { recursive: true, force: true });
});
const state = join(dir, 'state.json');

async function metadata(path: string): Promise<string> {
  const info = await stat(path);
  return `${(info.mode & 0o7777).toString(8)} ${info.uid}:${info.gid}`;
}

interface Snapshot {
  readonly devices: string;
  readonly entries: readonly string[];
  readonly stateText: string;
}

async function snapshot(daemon: Daemon): Promise<Snapshot> {
  const paths = [daemon.mountpoint, daemon.path('gpio-agg.0'), daemon.path('gpio-agg.0', 'line0'), daemon.path('gpio-agg.0', 'line0', 'value')];
  return {
    devices: await readFile(daemon.path('agg', 'devices'), 'utf8'),
    entries: await Promise.all(paths.map(metadata)),
    stateText: await readFile(state, 'utf8'),
  };
}

/** Every kind of change fails with `errno` and changes nothing, in the mount or on disk. */
async function refusedChanges(t: Test, daemon: Daemon, errno: string): Promise<void> {
  const before = await snapshot(daemon);
  const attempts: [string, string][] = [
    ['new_device', `echo 'gpiochip0 2' > ${q(daemon.path('agg', 'new_device'))}`],
    ['delete_device', `echo gpio-agg.0 > ${q(daemon.path('agg', 'delete_device'))}`],
    ['chmod of a line', `chmod 0700 ${q(daemon.path('gpio-agg.0', 'line0'))}`],
    ['chown of an attribute', `chown 4321:4321 ${q(daemon.path('gpio-agg.0', 'line0', 'value'))}`],
    ['chmod of the mount root', `chmod 0700 ${q(daemon.mountpoint)}`],
  ];
  for (const [what, script] of attempts) {
    const result = await sh(script);
    t.not(result.code, 0, `${what} fails`);
    t.equal(result.errno, errno, `${what}: ${result.stderr.trim()}`);
  }
  t.same(await snapshot(daemon), before, 'the mount and the state file are as before');
  t.equal(await stat(daemon.path('gpio-agg.1')).then(() => 'exists', (err: NodeJS.ErrnoException) => err.code), 'ENOENT',
    'the refused aggregator does not appear');
  t.equal(await readFile(daemon.path('gpio-agg.0', 'line0', 'value'), 'utf8'), '0\n', 'the aggregator kept is still served');
  t.same((await readdir(dir)).filter((name) => name.startsWith('.')), [], 'no temporary file is left behind');
  t.match(daemon.output(), new RegExp(`state\\.json: cannot save the state file: .*\\(${errno}\\); changes are refused until saving works again`));
}

/** Saving works again: a creation (taking the line the refused one wanted) and a chmod are saved. */
async function changesWork(t: Test, daemon: Daemon): Promise<void> {
  const created = await sh(`echo 'gpiochip0 2' > ${q(daemon.path('agg', 'new_device'))} && chmod 0750 ${q(daemon.mountpoint)}`);
  t.equal(created.code, 0, created.stderr);
  const saved = JSON.parse(await readFile(state, 'utf8'));
  t.same(saved.aggregators, [{ id: 0, spec: 'gpiochip0 0-1' }, { id: 1, spec: 'gpiochip0 2' }]);
  t.same(saved.permissions['.'], { mode: '0750', uid: 0, gid: 0 });
  const undo = await sh(`echo gpio-agg.1 > ${q(daemon.path('agg', 'delete_device'))} && chmod 0755 ${q(daemon.mountpoint)}`);
  t.equal(undo.code, 0, undo.stderr);
}

const daemon = await startDaemon({ args: ['--state', state] });
t.teardown(() => daemon.stop());
const setup = await sh(`echo 'gpiochip0 0-1' > ${q(daemon.path('agg', 'new_device'))} && chmod 0711 ${q(daemon.path('gpio-agg.0'))}`);
if (setup.code !== 0) throw new Error(setup.stderr);

t.test('a full state directory: ENOSPC, nothing changes', async (t) => {
  // dd stops at the first ENOSPC, leaving the filesystem full.
  const fill = await run(['dd', 'if=/dev/zero', `of=${join(dir, 'fill')}`, 'bs=4096']);
  t.equal(fill.errno, 'ENOSPC', 'the tmpfs is full');
  await refusedChanges(t, daemon, 'ENOSPC');
  await rm(join(dir, 'fill'));
  await changesWork(t, daemon);
});

t.test('a read-only state directory: EROFS, nothing changes', async (t) => {
  const ro = await run(['mount', '-o', 'remount,ro', dir]);
  t.equal(ro.code, 0, ro.stderr);
  try {
    await refusedChanges(t, daemon, 'EROFS');
  } finally {
    await run(['mount', '-o', 'remount,rw', dir]);
  }
  await changesWork(t, daemon);
  t.match(daemon.output(), /state\.json: saving works again/);
});
