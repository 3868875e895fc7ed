import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { createAggregator } from '../helpers/aggregators.js';
import { startDaemon, stopOrKill, type Daemon } from '../helpers/daemon.js';
import { buildCHelper, startLineClient, type LineClient } from '../helpers/line-client.js';
import { q, run, type Identity } from '../helpers/run.js';
import { CAN, TRANSPORT } from '../helpers/transports.js';
import { testUsers } from '../helpers/users.js';

/*
 * A legacy program (test/helpers/legacy-gpio-wait.c: hard-coded
 * /sys/class/gpio paths, export, direction, edge, select() on exceptfds)
 * run unchanged as a non-root user in a private mount namespace where a
 * view is bind-mounted over /sys/class/gpio, the line handed to the user by
 * chown as the README's recipes do; and in a "container" (a namespace
 * whose /sys/class is a slave of a shared host directory) across a daemon
 * restart, as the README's container recipe has it. Edges come from the
 * simulated pulls of gpiochip1 "sim-b" (fixtures/vm-board.json).
 */

t.setTimeout(180_000);

/** How long the program must stay asleep when nothing happens. */
const QUIET_MS = 500;
/** A safety net for what must come. */
const LONG_MS = 30_000;
/** The program's exit status after a select() timed out (see legacy-gpio-wait.c). */
const EXIT_TIMEOUT = 2;
const EXIT_ERROR = 1;
const CHIP = 'gpiochip1';

const missing = await missingPrerequisites();
if (missing.length > 0) {
  const why = `cannot run a legacy program in a mount namespace: ${missing.join('; ')}`;
  if (process.env.CI === 'true') t.fail(why);
  else t.plan(0, why);
} else {
  await legacyProgramTests();
}

/** What this file needs of the host: root, unshare with mount namespaces, a C compiler. */
async function missingPrerequisites(): Promise<string[]> {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('not root');
  const unshare = await run(['unshare', '-m', '--propagation', 'private', 'true']).catch((err: Error) => ({ code: -1, stderr: err.message }));
  if (unshare.code !== 0) missing.push(`unshare -m failed: ${unshare.stderr.trim()}`);
  const cc = await run(['cc', '--version']).catch((err: Error) => ({ code: -1, stderr: err.message }));
  if (cc.code !== 0) missing.push(`no C compiler (cc): ${cc.stderr.trim()}`);
  return missing;
}

async function legacyProgramTests(): Promise<void> {
  const { alice, bob } = await testUsers();
  const binary = await buildCHelper('legacy-gpio-wait');
  t.teardown(() => rm(dirname(binary), { recursive: true, force: true }));
  const daemon = await startDaemon();
  t.teardown(() => stopOrKill(daemon));
  const hostHasGpioClass = existsSync('/sys/class/gpio');

  const reachable = await run(['ls', daemon.mountpoint], { as: bob });
  if (reachable.code !== 0) throw new Error(`other users cannot reach the mount (allow_other): ${reachable.stderr}`);
  const base = await chipBase(daemon, 'sim-b');
  const pull = (offset: number, up: boolean): Promise<void> => daemon.lines.pull(CHIP, offset, up ? 'pull-up' : 'pull-down');
  for (const offset of [5, 6, 7, 8]) await pull(offset, false);

  /** The program as `as`; `enter` puts it into its mount namespace. */
  const program = (enter: readonly string[], gpio: number, wakes: number, timeoutMs: number, as: Identity): LineClient => {
    const groups = as.groups === undefined || as.groups.length === 0 ? '--clear-groups' : `--groups=${as.groups.join(',')}`;
    const argv = ['setpriv', `--reuid=${as.uid}`, `--regid=${as.gid}`, groups, '--', binary, String(gpio), String(wakes), String(timeoutMs)];
    return startLineClient([...enter, ...argv], `legacy-gpio-wait ${gpio}`);
  };

  /** The program as `as`, in a new mount namespace with `view` at /sys/class/gpio. */
  const legacy = (view: string, gpio: number, wakes: number, timeoutMs: number, as: Identity): LineClient => {
    const setup = [
      'set -e',
      // A kernel without CONFIG_GPIO_SYSFS has no /sys/class/gpio to bind over: give it one, in this namespace only.
      '[ -d /sys/class/gpio ] || { mount -t tmpfs -o mode=0755 gpio-aggfs-test /sys/class; mkdir /sys/class/gpio; }',
      `mount --bind ${q(view)} /sys/class/gpio`,
      'exec "$@"',
    ].join('\n');
    return program(['unshare', '-m', '--propagation', 'private', 'bash', '-c', setup, 'legacy-namespace'], gpio, wakes, timeoutMs, as);
  };

  /**
   * The program waits for three edges on `gpio` (chip offset `offset`): it
   * sees each, in order, and nothing in between or without an edge.
   */
  const edges = async (t: Test, view: string, gpio: number, offset: number): Promise<void> => {
    const program = legacy(view, gpio, 3, LONG_MS, alice);
    await program.line('waiting');
    t.same(program.lines, ['exported', 'initial 0', 'waiting'], 'the program exports the line itself and reads the value once before waiting');
    const wakes = (): string[] => program.lines.filter((line) => line.startsWith('wake') || line === 'timeout' || line.startsWith('error'));
    const quiet = async (expected: string[], what: string): Promise<void> => {
      await delay(QUIET_MS);
      t.same(wakes(), expected, what);
    };
    await quiet([], 'no wake-up before any edge');
    await pull(offset, false);
    await quiet([], 'no wake-up for a pull that changes no level');
    const expected: string[] = [];
    for (const up of [true, false, true]) {
      await pull(offset, up);
      expected.push(`wake ${up ? 1 : 0}`);
      await until(() => wakes().length >= expected.length, program);
      if (expected.length < 3) await quiet(expected, `one wake-up for the ${up ? 'rising' : 'falling'} edge, then asleep again`);
    }
    t.equal(await program.exited, 0, program.stderr());
    t.same(wakes(), ['wake 1', 'wake 0', 'wake 1'], 'exactly the edges, with the values after them, in order');
    t.equal(program.lines.at(-1), 'unexported', 'and unexports the line at the end');
    t.notOk((await readdir(view)).includes(`gpio${gpio}`), `gpio${gpio} is gone from the view`);
    await pull(offset, false);
  };

  /** No edge at all: the program's select() times out, with its distinct exit status. */
  const noEdge = async (t: Test, view: string, gpio: number): Promise<void> => {
    const program = legacy(view, gpio, 1, QUIET_MS, alice);
    t.equal(await program.exited, EXIT_TIMEOUT, `select() timed out: ${program.lines.join(' / ')} ${program.stderr()}`);
    t.same(program.lines, ['exported', 'initial 0', 'waiting', 'timeout', 'unexported']);
  };

  /** A line not given to the user: exported (export is theirs), but direction is root's: EACCES. */
  const notGiven = async (t: Test, view: string, gpio: number): Promise<void> => {
    const program = legacy(view, gpio, 1, LONG_MS, alice);
    t.equal(await program.exited, EXIT_ERROR);
    t.same(program.lines, ['exported', 'error direction EACCES', 'unexported'], program.stderr());
    t.notOk((await readdir(view)).includes(`gpio${gpio}`), 'the program unexported it again');
  };

  /** Without poll (fuse-native) the program's select() never reports the edge. */
  const unpolled = async (t: Test, view: string, gpio: number, offset: number): Promise<void> => {
    const program = legacy(view, gpio, 1, QUIET_MS * 2, alice);
    await program.line('waiting');
    await pull(offset, true);
    t.equal(await program.exited, EXIT_TIMEOUT, program.lines.join(' / '));
    t.ok(program.lines.includes('timeout'));
    await pull(offset, false);
  };

  t.test('global view: the README\'s hand-over of one GPIO to a user', async (t) => {
    const view = daemon.path('sysfs-gpio');
    const given = base + 5;
    await handOver(t, view, given, alice);

    if (CAN.poll) {
      await t.test(`select() on exceptfds sees every edge of gpio${given}`, (t) => edges(t, view, given, 5));
      await t.test('and times out without one', (t) => noEdge(t, view, given));
    } else {
      await t.test(`${TRANSPORT} cannot answer poll (capability table): select() never reports the edge`, (t) => unpolled(t, view, given, 5));
    }
    await t.test(`gpio${base + 6}, not given: EACCES`, (t) => notGiven(t, view, base + 6));
  });

  t.test('per-aggregator view: the README\'s container hand-over of an aggregator', async (t) => {
    const name = await createAggregator(daemon, `${CHIP} 7 ${CHIP} 8`);
    const view = daemon.path(name, 'sysfs-gpio');
    // README "In a mount namespace or a container": the aggregator and line0 are alice's, line1 stays root's.
    for (const argv of [['chown', String(alice.uid), daemon.path(name)], ['chown', '-R', String(alice.uid), daemon.path(name, 'line0')]]) {
      const done = await run(argv);
      t.equal(done.code, 0, `${argv.join(' ')}: ${done.stderr}`);
    }

    if (CAN.poll) {
      await t.test(`select() on exceptfds sees every edge of gpio${base + 7} (line0)`, (t) => edges(t, view, base + 7, 7));
      await t.test('and times out without one', (t) => noEdge(t, view, base + 7));
    } else {
      await t.test(`${TRANSPORT} cannot answer poll (capability table): select() never reports the edge`, (t) => unpolled(t, view, base + 7, 7));
    }
    await t.test(`gpio${base + 8} (line1), not given: EACCES`, (t) => notGiven(t, view, base + 8));
    await t.test(`gpio${base + 5}, given in the global view but not in this aggregator: EINVAL`, async (t) => {
      const program = legacy(view, base + 5, 1, LONG_MS, alice);
      t.equal(await program.exited, EXIT_ERROR);
      t.same(program.lines, ['error export EINVAL'], program.stderr());
    });
    t.equal(await readFile(daemon.path(name, 'line0', 'direction'), 'utf8'), 'in\n', 'the program\'s direction reached line0');
  });

  t.test('README container recipe: /sys/class by slave propagation keeps working across a daemon restart', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'gpio-aggfs-legacy-restart-'));
    const state = join(dir, 'state.json');
    // The shared export directory, the container's /sys/class; the view is bound at its gpio/.
    const classDir = join(dir, 'class');
    const slot = join(classDir, 'gpio');
    await mkdir(slot, { recursive: true });
    await chmod(dir, 0o755);
    let instance = await startDaemon({ args: ['--state', state] });
    const gpio = await chipBase(instance, 'sim-b') + 9;
    await instance.lines.pull(CHIP, 9, 'pull-down');
    await handOver(t, instance.path('sysfs-gpio'), gpio, alice);
    const host = async (script: string): Promise<void> => {
      const done = await run(['bash', '-c', script]);
      if (done.code !== 0) throw new Error(`${script}: ${done.stderr}`);
    };
    await host(`mount --bind ${q(classDir)} ${q(classDir)} && mount --make-shared ${q(classDir)}`);
    await host(`mount --bind ${q(instance.path('sysfs-gpio'))} ${q(slot)}`);
    // What `docker run -v <dir>/class:/sys/class:rslave` sets up.
    const container = spawn('unshare', ['-m', '--propagation', 'slave', 'bash', '-c', [
      `mount --rbind ${q(classDir)} /sys/class`, 'echo ready', 'exec sleep 600',
    ].join(' && ')], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.teardown(async () => {
      container.kill('SIGKILL');
      await run(['umount', '-l', slot]);
      await run(['umount', '-l', classDir]);
      await stopOrKill(instance);
      await rm(dir, { recursive: true, force: true });
    });
    await new Promise<void>((ready, fail) => {
      container.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('ready')) ready(); });
      container.on('exit', (code) => fail(new Error(`the container exited (${code})`)));
    });
    const inside = ['nsenter', '-t', String(container.pid), '-m', '-r', '--'];

    const before = program(inside, gpio, 1, QUIET_MS, alice);
    t.equal(await before.exited, EXIT_TIMEOUT, before.stderr());
    t.same(before.lines, ['exported', 'initial 0', 'waiting', 'timeout', 'unexported'], 'the program works in the container');

    t.equal(await instance.stop(), 0);
    instance = await startDaemon({ args: ['--state', state], mountpoint: instance.mountpoint });
    const stale = program(inside, gpio, 1, QUIET_MS, alice);
    t.equal(await stale.exited, EXIT_ERROR);
    t.same(stale.lines, ['error export ENOTCONN'], 'the old bind holds the stopped instance');

    await host(`umount -l ${q(slot)} && mount --bind ${q(instance.path('sysfs-gpio'))} ${q(slot)}`);
    const after = program(inside, gpio, 1, LONG_MS, alice);
    await after.line('waiting');
    t.same(after.lines, ['exported', 'initial 0', 'waiting'], 'the host\'s new bind reached the running container; alice\'s permissions came back from the state file');
    await instance.lines.pull(CHIP, 9, 'pull-up');
    t.equal(await after.exited, CAN.poll ? 0 : EXIT_TIMEOUT, after.stderr());
    if (CAN.poll) t.same(after.lines.slice(3), ['wake 1', 'unexported'], 'and sees the edge');
    await instance.lines.pull(CHIP, 9, 'pull-down');
  });

  t.test('the namespaces kept their mounts to themselves', async (t) => {
    t.equal(existsSync('/sys/class/gpio'), hostHasGpioClass, 'the host\'s /sys/class is as it was');
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    t.notOk(mounts.split('\n').some((line) => line.split(' ')[4] === '/sys/class/gpio'), 'no bind mount over /sys/class/gpio on the host');
  });
}

/** README "Permissions persist, exports do not": root hands GPIO `gpio` of the global view `view` to `user`. */
async function handOver(t: Test, view: string, gpio: number, user: Identity): Promise<void> {
  const commands = [
    `echo ${gpio} > ${q(join(view, 'export'))}`,
    `chown -R ${user.uid} ${q(join(view, `gpio${gpio}`))}`,
    `chown ${user.uid} ${q(join(view, 'export'))} ${q(join(view, 'unexport'))}`,
    `echo ${gpio} > ${q(join(view, 'unexport'))}`,
  ];
  for (const command of commands) {
    const done = await run(['bash', '-c', command]);
    t.equal(done.code, 0, `${command}: ${done.stderr}`);
  }
}

/** The first GPIO number of the chip labelled `label`, from the global view. */
async function chipBase(daemon: Daemon, label: string): Promise<number> {
  for (const entry of await readdir(daemon.path('sysfs-gpio'))) {
    if (!entry.startsWith('gpiochip')) continue;
    if ((await readFile(daemon.path('sysfs-gpio', entry, 'label'), 'utf8')).trim() === label) {
      return Number((await readFile(daemon.path('sysfs-gpio', entry, 'base'), 'utf8')).trim());
    }
  }
  throw new Error(`no chip labelled ${label} in the global view`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `done()` holds; rejects if the program exits first or after LONG_MS. */
async function until(done: () => boolean, program: LineClient): Promise<void> {
  const deadline = Date.now() + LONG_MS;
  while (!done()) {
    if (program.child.exitCode !== null || program.child.signalCode !== null) {
      throw new Error(`the program exited: ${program.lines.join(' / ')} ${program.stderr()}`);
    }
    if (Date.now() > deadline) throw new Error(`no wake-up after ${LONG_MS} ms: ${program.lines.join(' / ')}`);
    await delay(20);
  }
}
