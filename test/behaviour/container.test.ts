import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import { createAggregator } from '../helpers/aggregators.js';
import { BACKEND, startDaemon, stopOrKill } from '../helpers/daemon.js';
import { q, run, sh, type Identity, type RunResult } from '../helpers/run.js';
import { testUsers } from '../helpers/users.js';

/*
 * The container use case: a container gets one aggregator directory by bind
 * mount (`-v <mnt>/gpio-agg.N:/gpio`) and nothing else. Each check runs in a
 * fresh private mount namespace that bind-mounts one aggregator into a
 * tmpfs-backed directory and hides the real mount (a tmpfs over its parent),
 * then switches to a non-root user.
 */

// Every process start is slow under the VM's software emulation.
t.setTimeout(BACKEND === 'libgpiod' ? 900_000 : 120_000);

const { alice, bob } = await testUsers();

const daemon = await startDaemon();
t.teardown(() => stopOrKill(daemon));

const exposed = await createAggregator(daemon, 'gpiochip0 3 gpiochip1 9');
const other = await createAggregator(daemon, 'gpiochip0 4');
// The container's user owns line0 of the exposed aggregator, and the other aggregator's line too:
// only the mount namespace keeps it away from the latter.
// Lines keep their direction between tests (as the kernel's do): start from inputs pulled low.
for (const line of ['line0', 'line1']) await sh(`echo in > ${q(daemon.path(exposed, line, 'direction'))}`);
await daemon.lines.pull('gpiochip1', 9, 'pull-down');
const chown = await run(['chown', '-R', `${alice.uid}:${alice.gid}`, daemon.path(exposed, 'line0'), daemon.path(other, 'line0')]);
// No assertion outside a subtest: the root test could end before the subtests are added.
if (chown.code !== 0) throw new Error(`chown failed: ${chown.stderr}`);

const containerRoot = await mkdtemp(join(tmpdir(), 'gpio-aggfs-container-'));
await chmod(containerRoot, 0o755);
t.teardown(() => rm(containerRoot, { recursive: true, force: true }));
const GPIO = join(containerRoot, 'gpio');
const HIDDEN = dirname(daemon.mountpoint);

/** Run `argv` as `as` inside a new mount namespace that only has the exposed aggregator at GPIO. */
function inContainer(argv: readonly string[], as: Identity): Promise<RunResult> {
  const groups = as.groups === undefined || as.groups.length === 0 ? '--clear-groups' : `--groups=${as.groups.join(',')}`;
  const setup = [
    'set -e',
    `mount -t tmpfs -o mode=0755 container ${q(containerRoot)}`,
    `mkdir ${q(GPIO)}`,
    `mount --bind ${q(daemon.path(exposed))} ${q(GPIO)}`,
    `mount -t tmpfs -o mode=0755 hidden ${q(HIDDEN)}`,
    `exec setpriv --reuid=${as.uid} --regid=${as.gid} ${groups} -- ${argv.map(q).join(' ')}`,
  ].join('\n');
  return run(['unshare', '-m', '--propagation', 'private', 'bash', '-c', setup]);
}

function userSh(script: string, as: Identity): Promise<RunResult> {
  return inContainer(['bash', '-c', script], as);
}

t.test('the bind mount shows exactly one aggregator', async (t) => {
  const listed = await inContainer(['ls', '-A', GPIO], alice);
  t.equal(listed.code, 0, listed.stderr);
  t.same(listed.stdout.split('\n').filter((l) => l !== ''), ['label', 'line0', 'line1', 'ngpio', 'spec', 'sysfs-gpio']);

  const label = await inContainer(['cat', join(GPIO, 'label'), join(GPIO, 'spec'), join(GPIO, 'ngpio')], bob);
  t.equal(label.code, 0, label.stderr);
  t.equal(label.stdout, `${exposed}\ngpiochip0 3 gpiochip1 9\n2\n`);

  const source = await inContainer(['cat', join(GPIO, 'line0', 'source'), join(GPIO, 'line1', 'source')], alice);
  t.equal(source.stdout, 'gpiochip0 3\ngpiochip1 9\n');

  const mountinfo = await inContainer(['cat', '/proc/self/mountinfo'], alice);
  const entry = mountinfo.stdout.split('\n').find((line) => line.split(' ')[4] === GPIO);
  t.ok(entry, 'the bind mount is in the namespace');
  t.equal(entry?.split(' ')[3], `/${exposed}`, 'rooted at the aggregator directory');
  t.match(entry ?? '', / - fuse\.gpio-aggfs /);
});

t.test('nothing else of the mount is reachable', async (t) => {
  const everything = await inContainer(['find', containerRoot], alice);
  t.equal(everything.code, 0, everything.stderr);
  const paths = everything.stdout.split('\n').filter((l) => l !== '').map((p) => p.slice(containerRoot.length));
  t.ok(paths.includes('/gpio/line0/value'));
  t.notOk(paths.some((p) => p.includes(other)), `${other} is not there`);
  t.notOk(paths.some((p) => /\/(agg|\.sim)(\/|$)/.test(p)), 'agg/ and .sim/ are not there');
  t.same(paths.filter((p) => !p.startsWith('/gpio/')), ['', '/gpio'], 'only the bind mount under the container root');

  const parent = await inContainer(['ls', '-A', join(GPIO, '..')], alice);
  t.equal(parent.stdout, 'gpio\n', '.. of the bind mount is the container directory');
  const up = await inContainer(['cat', join(GPIO, '..', 'agg', 'devices')], alice);
  t.equal(up.errno, 'ENOENT');

  const original = await inContainer(['ls', daemon.mountpoint], alice);
  t.not(original.code, 0);
  t.equal(original.errno, 'ENOENT', 'the original mountpoint is hidden');
  const otherLine = await userSh(`echo 1 > ${q(daemon.path(other, 'line0', 'value'))}`, alice);
  t.equal(otherLine.errno, 'ENOENT', 'the other aggregator cannot be reached, though alice owns its line');
  const control = await inContainer(['cat', daemon.path('agg', 'devices')], alice);
  t.equal(control.errno, 'ENOENT');
  const hidden = await inContainer(['ls', '-A', HIDDEN], alice);
  t.equal(hidden.stdout, '', 'an empty tmpfs hides the mount');
});

t.test('the owner of a line reads and writes it through the bind mount', async (t) => {
  const line = join(GPIO, 'line0');
  const driven = await userSh(`echo out > ${q(`${line}/direction`)} && echo 1 > ${q(`${line}/value`)} && cat ${q(`${line}/direction`)} ${q(`${line}/value`)}`, alice);
  t.equal(driven.code, 0, driven.stderr);
  t.equal(driven.stdout, 'out\n1\n');
  t.equal(await daemon.lines.level('gpiochip0', 3), 1, 'the backing line is driven high');
  t.equal(await readFile(daemon.path(exposed, 'line0', 'value'), 'utf8'), '1\n', 'same line outside the container');

  const low = await userSh(`echo 0 > ${q(`${line}/value`)} && cat ${q(`${line}/value`)}`, alice);
  t.equal(low.stdout, '0\n', low.stderr);
  t.equal(await daemon.lines.level('gpiochip0', 3), 0);

  const activeLow = await userSh(`echo 1 > ${q(`${line}/active_low`)} && cat ${q(`${line}/value`)} && echo 0 > ${q(`${line}/active_low`)}`, alice);
  t.equal(activeLow.stdout, '1\n', `physical 0 reads as 1 when active-low: ${activeLow.stderr}`);
});

t.test('lines the user does not own stay closed inside the container', async (t) => {
  const line1 = join(GPIO, 'line1');
  const read = await inContainer(['cat', join(line1, 'value')], alice);
  t.equal(read.stdout, '0\n', 'others may read (0644)');
  const written = await userSh(`echo out > ${q(join(line1, 'direction'))}`, alice);
  t.not(written.code, 0);
  t.equal(written.errno, 'EACCES');
  t.equal(await readFile(daemon.path(exposed, 'line1', 'direction'), 'utf8'), 'in\n', 'unchanged');

  const stranger = await userSh(`echo 1 > ${q(join(GPIO, 'line0', 'value'))}`, bob);
  t.equal(stranger.errno, 'EACCES', 'bob does not own line0');
  const chmod = await inContainer(['chmod', '0666', join(GPIO, 'line0', 'value')], bob);
  t.equal(chmod.errno, 'EPERM');
  const mkdir = await inContainer(['mkdir', join(GPIO, 'line0', 'x')], alice);
  t.equal(mkdir.errno, 'EPERM', 'the owner still cannot create entries');
});

t.test('the host does not see the container mounts', async (t) => {
  t.same(await readdir(containerRoot), [], 'private propagation: nothing leaked to the host');
  t.ok((await readdir(daemon.mountpoint)).includes(other));
});
