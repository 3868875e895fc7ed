import { spawn } from 'node:child_process';
import { chown, mkdir, mkdtemp, readFile, chmod, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { BIN, BOARD } from '../helpers/daemon.js';
import { run, q, sh, withoutRunnerHooks } from '../helpers/run.js';
import { CAN, TRANSPORT } from '../helpers/transports.js';

/*
 * A non-root member of group `gpio` mounts gpio-aggfs through fusermount3
 * (the /dev/fuse fd passed back over a socket), serves it to other users
 * (allow_other, which needs `user_allow_other` in /etc/fuse.conf: written
 * here when missing) and unmounts cleanly. The group and user are made here.
 */

t.setTimeout(180_000);

const GROUP = 'gpio';
const USER = 'gaggfs-mounter';

async function ensureAccount(): Promise<{ uid: number; gid: number; groups: number[] }> {
  if ((await run(['getent', 'group', GROUP])).code !== 0) await run(['groupadd', '--system', GROUP]);
  if ((await run(['getent', 'passwd', USER])).code !== 0) {
    const added = await run(['useradd', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', '--groups', GROUP, USER]);
    if (added.code !== 0) throw new Error(`useradd ${USER}: ${added.stderr}`);
  }
  const id = async (flag: string): Promise<string> => (await run(['id', flag, USER])).stdout.trim();
  const uid = Number(await id('-u'));
  const gid = Number(await id('-g'));
  const groups = (await id('-G')).split(/\s+/).map(Number).filter((g) => g !== gid);
  const gpio = Number((await run(['getent', 'group', GROUP])).stdout.split(':')[2]);
  if (!groups.includes(gpio)) throw new Error(`${USER} is not in ${GROUP}`);
  return { uid, gid, groups };
}

/** allow_other for non-root mounts. */
async function allowOtherUsers(): Promise<void> {
  const text = await readFile('/etc/fuse.conf', 'utf8').catch(() => '');
  if (text.split('\n').some((line) => line.trim() === 'user_allow_other')) return;
  await writeFile('/etc/fuse.conf', `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}user_allow_other\n`);
}

/**
 * fusermount3 opens /dev/fuse with the user's rights. Distributions make it
 * 0666; where it is not (a container's /dev), members of `gpio` are given it.
 */
async function fuseDeviceForGroup(gid: number): Promise<void> {
  const device = await stat('/dev/fuse');
  if ((device.mode & 0o006) === 0o006) return;
  await chown('/dev/fuse', device.uid, gid);
  await chmod('/dev/fuse', (device.mode & 0o777) | 0o060);
}

if (!CAN.nonRootMount) {
  t.test(`${TRANSPORT} has no non-root mount (capability table)`, async (t) => { t.pass('selected out by test/helpers/transports.ts'); });
} else {
  t.test('a member of group gpio mounts through fusermount3, serves other users and unmounts cleanly', async (t) => {
    const user = await ensureAccount();
    await allowOtherUsers();
    await fuseDeviceForGroup(Number((await run(['getent', 'group', GROUP])).stdout.split(':')[2]));
    const base = await mkdtemp(join(tmpdir(), 'gpio-aggfs-user-'));
    await chmod(base, 0o755);
    const mountpoint = join(base, 'mnt');
    await mkdir(mountpoint);
    await chown(mountpoint, user.uid, user.gid);
    const as = ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, `--groups=${user.groups.join(',')}`, '--'];

    const argv = withoutRunnerHooks([...as, process.execPath, BIN, 'mount', mountpoint, '--sim', BOARD, '--transport', TRANSPORT]);
    const daemon = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    daemon.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    daemon.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const exited = new Promise<number>((resolve) => daemon.on('exit', (code, signal) => resolve(code ?? (signal === null ? -1 : 128))));
    t.teardown(async () => {
      if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
      await run(['umount', '-l', mountpoint]);
    });
    for (;;) {
      if (daemon.exitCode !== null) throw new Error(`the daemon exited: ${output}`);
      if (await stat(join(mountpoint, 'agg', 'new_device')).then(() => true, () => false)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const mountinfo = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((line) => line.split(' ')[4] === mountpoint);
    t.ok(mountinfo, 'mounted');
    t.match(mountinfo, new RegExp(` - fuse\\.gpio-aggfs gpio-aggfs:${daemon.pid} `), 'type and source name the serving pid');
    t.match(mountinfo, new RegExp(`user_id=${user.uid}`), 'mounted by the user (fusermount3)');
    t.match(mountinfo, /allow_other/);
    const daemonUid = (await readFile(`/proc/${daemon.pid}/status`, 'utf8')).match(/^Uid:\s+(\d+)/m)?.[1];
    t.equal(Number(daemonUid), user.uid, 'the daemon runs as the user, not root');

    // Another user (root here) uses it.
    const created = await sh(`echo 'gpiochip0 0' > ${q(join(mountpoint, 'agg', 'new_device'))} && cat ${q(join(mountpoint, 'gpio-agg.0', 'line0', 'value'))}`);
    t.equal(created.code, 0, created.stderr);
    t.equal(created.stdout.trim(), '0');

    const unmounted = await run([...as, ...withoutRunnerHooks([process.execPath, BIN, 'unmount', mountpoint])]);
    t.equal(unmounted.code, 0, `gpio-aggfs unmount as the user: ${unmounted.stderr}`);
    t.equal(await exited, 0, `the daemon exits 0: ${output}`);
    const after = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').some((line) => line.split(' ')[4] === mountpoint);
    t.notOk(after, 'nothing left mounted');
  });
}
