import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { BACKEND, BIN, BOARD, ROOT, startDaemon } from '../helpers/daemon.js';
import { q, run, sh } from '../helpers/run.js';
import { testUsers } from '../helpers/users.js';
import { mountsAt } from '../../lib/fs/mount-table.js';

/*
 * The mountpoint is a path root mounts on (and creates when missing). In a
 * directory others can add names to (sticky and world-writable, like /tmp),
 * a user can plant a symlink at the name; mount(2) follows one, so root would
 * mount over whatever directory it points to, hiding it. gpio-aggfs never
 * follows one: it is refused, and the mount is made on the directory that was
 * opened without following a symlink, whatever is put at the name meanwhile.
 */

t.setTimeout(600000);

const { alice } = await testUsers();
const base = await mkdtemp(join(tmpdir(), 'gpio-aggfs-security-mountpoint-'));
await chmod(base, 0o755);
t.teardown(() => rm(base, { recursive: true, force: true }));
const backend = BACKEND === 'sim' ? ['--sim', BOARD] : [];

/** A root directory alice would like root to mount over, and one she would like root to create. */
const victim = join(base, 'victim');
await mkdir(victim, { mode: 0o755 });
await writeFile(join(victim, 'precious'), 'precious\n', { mode: 0o644 });
const missing = join(base, 'missing');

async function untouched(t: Test): Promise<void> {
  t.same(await mountsAt(victim), [], 'nothing is mounted over the victim directory');
  t.same(await readdir(victim), ['precious'], 'whose content is as it was');
  t.equal(await readFile(join(victim, 'precious'), 'utf8'), 'precious\n');
  t.equal(await readdir(missing).catch((err: NodeJS.ErrnoException) => err.code), 'ENOENT', 'nothing was created through a link');
}

let directories = 0;
async function sharedDirectory(): Promise<string> {
  directories += 1;
  const dir = join(base, `shared-${directories}`);
  await mkdir(dir);
  await chmod(dir, 0o1777);
  return dir;
}

t.test('a symlink planted at the mountpoint name is refused, saying why; nothing is mounted over its target', async (t) => {
  const dir = await sharedDirectory();
  const mountpoint = join(dir, 'mnt');
  for (const target of [victim, missing]) {
    const planted = await sh(`ln -sfn ${q(target)} ${q(mountpoint)}`, { as: alice });
    t.equal(planted.code, 0, planted.stderr);
    const result = await run([process.execPath, BIN, 'mount', mountpoint, ...backend], { timeoutMs: 60000 });
    t.equal(result.code, 1, 'the start is refused');
    t.equal(result.stderr, `gpio-aggfs: refusing the mountpoint ${mountpoint}: it is a symbolic link, which gpio-aggfs never follows`
      + ' (whoever can change it could have it mount over another directory); give the real path (ELOOP)\n', 'one line, ELOOP');
    t.same(await mountsAt(mountpoint), [], 'nothing is mounted at the name');
    t.equal(await readlink(mountpoint), target, 'the symlink is left as it is');
  }
  await untouched(t);
});

t.test('a symlink of another user on the way to the mountpoint is refused; nothing is created or mounted where it points', async (t) => {
  const dir = await sharedDirectory();
  const planted = await sh(`ln -s ${q(base)} ${q(join(dir, 'gpio'))}`, { as: alice });
  t.equal(planted.code, 0, planted.stderr);
  // Through her link, the missing mountpoint would be created as root as base/missing.
  const mountpoint = join(dir, 'gpio', 'missing');
  const result = await run([process.execPath, BIN, 'mount', mountpoint, ...backend], { timeoutMs: 60000 });
  t.equal(result.code, 1, 'the start is refused');
  t.equal(result.stderr, `gpio-aggfs: ${mountpoint}: refusing the mountpoint: ${join(dir, 'gpio')} is a symbolic link of uid ${alice.uid},`
    + ' not of root or of this process (uid 0), so that user could point it anywhere; give the real path (EACCES)\n', 'one line, EACCES');
  await untouched(t);
});

t.test('a user swapping her directory at the mountpoint name for a symlink in a loop: root mounts on the name or not at all', async (t) => {
  const dir = await sharedDirectory();
  const mountpoint = join(dir, 'mnt');
  const made = await sh(`mkdir ${q(mountpoint)} && ln -s ${q(victim)} ${q(join(dir, 'mnt.l'))}`, { as: alice });
  t.equal(made.code, 0, made.stderr);
  const stop = join(base, `stop-${directories}`);
  // Her directory and her symlink to the victim take turns at the name, two renames each way
  // (neither moves while it is mounted on). Until root is done.
  const attacker = sh([
    `cd ${q(dir)} || exit 1`,
    `while [ ! -e ${q(stop)} ]; do`,
    `  mv -T mnt mnt.d 2>/dev/null && mv -T mnt.l mnt 2>/dev/null`,
    `  mv -T mnt mnt.l 2>/dev/null && mv -T mnt.d mnt 2>/dev/null`,
    `done`,
    `exit 0`,
  ].join('\n'), { as: alice, timeoutMs: 300000 });
  const outcomes = new Map<string, number>();
  for (let start = 0; start < 12; start += 1) {
    let outcome: string;
    try {
      const daemon = await startDaemon({ mountpoint });
      const mounts = await mountsAt(mountpoint);
      t.equal(mounts.length, 1, `start ${start}: mounted on the name itself`);
      outcome = 'served';
      t.equal(await daemon.stop(), 0, `start ${start}: stops cleanly`);
    } catch (err) {
      // Refused: one line naming why (a symlink, or the name gone at the moment it was opened).
      const output = (err as Error).message;
      const refusal = /gpio-aggfs: [^\n]*\((ELOOP|ENOENT|ENOTDIR|EEXIST|EIO)\)\n/.exec(output);
      t.ok(refusal !== null, `start ${start}: refused with a clear line: ${output}`);
      outcome = refusal?.[1] ?? 'unexplained';
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    t.same(await mountsAt(victim), [], `start ${start}: nothing mounted over the victim`);
  }
  await writeFile(stop, '');
  t.equal((await attacker).code, 0);
  t.comment(`12 starts against the loop: ${[...outcomes].map(([what, n]) => `${what} ${n}`).join(', ')}`);
  await untouched(t);
});

t.test('unmount of a FUSE mount whose source names a process of another user: refused (EPERM), that process not signalled', async (t) => {
  // Anyone may mount FUSE through fusermount3 and choose the source and type of the mount:
  // alice makes one look like gpio-aggfs served by a process of root's.
  const mountpoint = join(base, 'alices-mount');
  await mkdir(mountpoint, { mode: 0o755 });
  await chown(mountpoint, alice.uid, alice.gid);
  const victim = spawn('sleep', ['600'], { stdio: 'ignore' });
  t.teardown(() => { victim.kill('SIGKILL'); });
  const spoof = `
    const { mountFuse } = await import(process.argv[1]);
    await mountFuse({ mountpoint: process.argv[2], source: 'gpio-aggfs:' + process.argv[3], subtype: 'gpio-aggfs', allowOther: false, defaultPermissions: false });
    console.log('mounted');
    process.stdin.on('data', () => {}); process.stdin.on('end', () => process.exit(0));
  `;
  const mounter = spawn('setpriv', ['--reuid', String(alice.uid), '--regid', String(alice.gid), '--clear-groups', '--',
    process.execPath, '--input-type=module', '-e', spoof, join(ROOT, 'dist', 'fuse', 'mount.js'), mountpoint, String(victim.pid)],
  { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(async () => {
    mounter.kill('SIGKILL');
    await run(['umount', '-l', mountpoint]);
  });
  let stderr = '';
  mounter.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const said = await new Promise<string>((resolve) => {
    mounter.stdout.on('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    mounter.on('exit', () => resolve(`exited: ${stderr}`));
  });
  t.equal(said, 'mounted');
  t.match(await mountsAt(mountpoint), [{ fsType: 'fuse.gpio-aggfs', source: `gpio-aggfs:${victim.pid}` }], 'her mount names root\'s process');

  const result = await run([process.execPath, BIN, 'unmount', mountpoint], { timeoutMs: 60000 });
  t.equal(result.code, 1);
  t.equal(result.stderr, `gpio-aggfs: refusing to stop pid ${victim.pid}, which the mount at ${mountpoint} names as its server:`
    + ` it runs as uid 0, but the mount belongs to uid ${alice.uid}; unmount it with umount if it is stale (EPERM)\n`);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(victim.exitCode, null, 'root\'s process was not signalled');
  t.equal(victim.signalCode, null);
  mounter.stdin.end();
});
