import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import t from 'tap';
import { BACKEND, BIN, BOARD, newMountpoint, startDaemon } from '../helpers/daemon.js';
import { q, run, sh } from '../helpers/run.js';
import { mountsAt } from '../../lib/fs/mount-table.js';
import { loadState } from '../../lib/state/state-file.js';

/*
 * One daemon per state file: a second one on the same file refuses to start
 * (a clear line, non-zero exit) before reading or writing anything, and the
 * first goes on serving and saving. The lock is the kernel's (flock): it goes
 * with the process, so a start after kill -9 is not refused.
 */

// Four daemon starts take a while on a loaded machine.
t.setTimeout(300000);

const dir = await mkdtemp(join(tmpdir(), 'gpio-aggfs-lock-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const state = join(dir, 'state.json');
const backend = BACKEND === 'sim' ? ['--sim', BOARD] : [];

t.test('a second daemon on the same state file refuses to start; the first is untouched', async (t) => {
  const first = await startDaemon({ args: ['--state', state] });
  t.teardown(() => first.stop());
  const setup = await sh(`echo 'gpiochip0 0-1' > ${q(first.path('agg', 'new_device'))} && chown 1234 ${q(first.path('gpio-agg.0', 'line1'))}`);
  t.equal(setup.code, 0, setup.stderr);
  const before = { text: await readFile(state, 'utf8'), inode: (await stat(state)).ino };

  const secondMountpoint = await newMountpoint();
  const second = await run([process.execPath, BIN, 'mount', secondMountpoint, ...backend, '--state', state], { timeoutMs: 60000 });
  t.equal(second.code, 1);
  t.equal(second.stderr, `gpio-aggfs: the state file ${state} is in use by another gpio-aggfs (pid ${first.process.pid}),`
    + ` which holds ${state}.lock; stop it first, or give each instance its own state file (EBUSY)\n`);
  t.same(await mountsAt(secondMountpoint), [], 'nothing is mounted');
  t.same({ text: await readFile(state, 'utf8'), inode: (await stat(state)).ino }, before, 'the state file is not touched');

  t.equal(await readFile(first.path('agg', 'devices'), 'utf8'), 'gpio-agg.0 gpiochip0 0-1\n', 'the first still serves');
  const change = await sh(`chmod 0700 ${q(first.path('gpio-agg.0', 'line1'))}`);
  t.equal(change.code, 0, change.stderr);
  t.same(loadState(state).permissions.get('gpio-agg.0/line1'), { mode: 0o700, uid: 1234, gid: 0 }, 'and still saves');
  t.equal(await first.stop(), 0);

  const third = await startDaemon({ args: ['--state', state] });
  t.equal(await third.stop('SIGKILL'), 137);
  const fourth = await startDaemon({ args: ['--state', state], mountpoint: third.mountpoint });
  t.teardown(() => fourth.stop());
  t.equal(await readFile(fourth.path('agg', 'devices'), 'utf8'), 'gpio-agg.0 gpiochip0 0-1\n',
    'after a stop, and after kill -9, the next start gets the lock');
});

t.test('the same state file by another path (a symlinked directory, ./ and ..) is the same lock: refused', async (t) => {
  const first = await startDaemon({ args: ['--state', state] });
  t.teardown(() => first.stop());
  const before = { text: await readFile(state, 'utf8'), inode: (await stat(state)).ino };
  const link = `${dir}-link`;
  const made = await sh(`ln -s ${q(dir)} ${q(link)}`);
  t.equal(made.code, 0, made.stderr);
  t.teardown(() => rm(link, { force: true }));
  for (const other of [join(link, 'state.json'), `${dir}/./state.json`, `${dir}/../${basename(dir)}/state.json`]) {
    const mountpoint = await newMountpoint();
    const second = await run([process.execPath, BIN, 'mount', mountpoint, ...backend, '--state', other], { timeoutMs: 60000 });
    t.equal(second.code, 1, `${other}: refused`);
    t.match(second.stderr, new RegExp(`^gpio-aggfs: the state file .* is in use by another gpio-aggfs \\(pid ${first.process.pid}\\).*\\(EBUSY\\)\n$`));
    t.same(await mountsAt(mountpoint), [], 'nothing is mounted');
  }
  t.same({ text: await readFile(state, 'utf8'), inode: (await stat(state)).ino }, before, 'the state file is not touched');
  t.equal(await readFile(first.path('agg', 'devices'), 'utf8'), 'gpio-agg.0 gpiochip0 0-1\n', 'the first still serves');
  t.equal(await first.stop(), 0);
});
