import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { BACKEND, BIN, BOARD, newMountpoint, startDaemon, stopOrKill } from '../helpers/daemon.js';
import { gpioinfoArgs } from '../helpers/gpio-tools.js';
import { run, sh, q, type Identity, type RunResult } from '../helpers/run.js';
import { testUsers } from '../helpers/users.js';

/** `gpio-aggfs …` as a separate process, as a user would run it. */
function cli(args: readonly string[], as?: Identity): Promise<RunResult> {
  return run([process.execPath, BIN, ...args], as === undefined ? {} : { as });
}

async function mountedAt(mountpoint: string): Promise<boolean> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  return mountinfo.split('\n').some((line) => line.split(' ')[4] === mountpoint);
}

/** An expected failure: one line on stderr, no stack trace. */
function assertOneLineError(t: Test, result: RunResult, pattern: RegExp): void {
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  t.equal(lines.length, 1, `one line: ${result.stderr}`);
  t.match(result.stderr, pattern);
  t.notMatch(result.stderr, /^ {4}at /m, 'no stack trace');
  t.equal(result.stdout, '');
}

// Every process start is slow under the VM's software emulation.
t.setTimeout(BACKEND === 'libgpiod' ? 900_000 : 300_000);

const { alice, bob } = await testUsers();
const daemon = await startDaemon();
t.teardown(() => stopOrKill(daemon));
const mnt = daemon.mountpoint;

t.test('--help for the program and each command', async (t) => {
  const cases: Record<string, readonly string[]> = {
    '': ['mount', 'new', 'delete', 'list', 'chips', 'unmount'],
    mount: ['<mountpoint>', '--sim', '--state', '--config'],
    new: ['<mountpoint>', '<spec..>'],
    delete: ['<mountpoint>', '<name>'],
    list: ['<mountpoint>', '--json'],
    chips: ['--sim', '--json'],
    unmount: ['<mountpoint>'],
  };
  for (const [command, mentions] of Object.entries(cases)) {
    const result = await cli(command === '' ? ['--help'] : [command, '--help']);
    t.equal(result.code, 0, `${command} --help exits 0`);
    t.equal(result.stderr, '');
    t.match(result.stdout, /--help/);
    for (const word of mentions) t.ok(result.stdout.includes(word), `${command || 'gpio-aggfs'} --help mentions ${word}`);
  }
});

t.test('new, list, delete', async (t) => {
  const created = await cli(['new', mnt, 'gpiochip0', '1-2']);
  t.equal(created.code, 0, created.stderr);
  t.match(created.stdout, /^gpio-agg\.\d+\n$/);
  const agg = created.stdout.trim();
  t.equal(await readFile(join(mnt, agg, 'spec'), 'utf8'), 'gpiochip0 1-2\n');

  const byName = await cli(['new', mnt, 'status led', 'RELAY']);
  t.equal(byName.code, 0, byName.stderr);
  const named = byName.stdout.trim();
  t.not(named, agg);
  t.equal(await readFile(join(mnt, named, 'spec'), 'utf8'), 'gpiochip0 5 gpiochip1 2\n', 'a word with a space is one line name');

  // line0 driven high; line1 an input pulled low (whatever an earlier test left), handed to alice and closed to others.
  t.equal((await sh(`echo high > ${q(join(mnt, agg, 'line0', 'direction'))}`)).code, 0);
  t.equal((await sh(`echo in > ${q(join(mnt, agg, 'line1', 'direction'))}`)).code, 0);
  await daemon.lines.pull('gpiochip0', 2, 'pull-down');
  t.equal((await run(['chown', '-R', `${alice.uid}:${alice.gid}`, join(mnt, agg, 'line1')])).code, 0);
  t.equal((await run(['chmod', '0750', join(mnt, agg, 'line1')])).code, 0);

  const expected = {
    name: agg, spec: 'gpiochip0 1-2', owner: 0, group: 0, mode: '0755',
    lines: [
      { line: 'line0', name: 'LED1', source: 'gpiochip0 1', direction: 'out', value: '1', owner: 0, group: 0, mode: '0755' },
      { line: 'line1', name: '', source: 'gpiochip0 2', direction: 'in', value: '0', owner: alice.uid, group: alice.gid, mode: '0750' },
    ],
  };

  t.test('list --json', async (t) => {
    const listed = await cli(['list', mnt, '--json']);
    t.equal(listed.code, 0, listed.stderr);
    const aggregators = JSON.parse(listed.stdout) as { name: string }[];
    t.same(aggregators.map((a) => a.name), [agg, named]);
    t.same(aggregators[0], expected);
    t.match(aggregators[1], { spec: 'gpiochip0 5 gpiochip1 2', lines: [{ name: 'status led' }, { name: 'RELAY', source: 'gpiochip1 2' }] });
  });

  t.test('list --json as a user who may not read a line', async (t) => {
    const listed = await cli(['list', mnt, '--json'], bob);
    t.equal(listed.code, 0, listed.stderr);
    const [first] = JSON.parse(listed.stdout) as (typeof expected)[];
    t.same(first?.lines[0], expected.lines[0]);
    t.same(first?.lines[1], { ...expected.lines[1], name: '?', source: '?', direction: '?', value: '?' }, 'unreadable values show as ?');
    const owner = await cli(['list', mnt, '--json'], alice);
    t.same((JSON.parse(owner.stdout) as (typeof expected)[])[0], expected, 'the owner sees everything');
  });

  t.test('list (text)', async (t) => {
    const listed = await cli(['list', mnt]);
    t.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.split('\n');
    t.match(lines[0], new RegExp(`^${agg.replace('.', '\\.')}\\s+gpiochip0 1-2\\s+\\(owner 0:0 mode 0755\\)$`));
    t.match(lines[1], /^\s+line0\s+gpiochip0 1\s+out\s+1\s+0:0 0755 "LED1"$/);
    t.match(lines[2], new RegExp(`^\\s+line1\\s+gpiochip0 2\\s+in\\s+0\\s+${alice.uid}:${alice.gid} 0750$`));
    t.match(listed.stdout, /line0\s+gpiochip0 5\s+(in|out)\s+[01]\s+0:0 0755 "status led"/);
  });

  t.test('delete', async (t) => {
    const deleted = await cli(['delete', mnt, named]);
    t.equal(deleted.code, 0, deleted.stderr);
    t.equal(deleted.stdout, '');
    t.equal(await readFile(join(mnt, 'agg', 'devices'), 'utf8'), `${agg} gpiochip0 1-2\n`);
    const again = await cli(['delete', mnt, named]);
    t.equal(again.code, 1);
    assertOneLineError(t, again, /ENOENT/);
    const bogus = await cli(['delete', mnt, 'bogus']);
    t.equal(bogus.code, 1);
    assertOneLineError(t, bogus, /EINVAL/);
    // The lines are free again.
    const retaken = await cli(['new', mnt, 'gpiochip1', '2']);
    t.equal(retaken.code, 0, retaken.stderr);
    t.equal((await cli(['delete', mnt, retaken.stdout.trim()])).code, 0);
  });
});

t.test('new with a bad spec fails with one line naming the reason', async (t) => {
  const before = await readFile(join(mnt, 'agg', 'devices'), 'utf8');
  const cases: [readonly string[], RegExp][] = [
    [['gpiochip0', '9'], /\b9\b.*EINVAL|EINVAL.*\b9\b/],
    [['gpiochip0', '5-3'], /5-3.*EINVAL/],
    [['gpiochip7', '1'], /gpiochip7.*ENOENT/],
    [['NO_SUCH_LINE'], /NO_SUCH_LINE.*ENOENT/],
    [['gpiochip0', '3', 'BUTTON'], /EINVAL/],
  ];
  for (const [spec, reason] of cases) {
    const result = await cli(['new', mnt, ...spec]);
    t.equal(result.code, 1, `new ${spec.join(' ')}`);
    assertOneLineError(t, result, reason);
    t.match(result.stderr, /^gpio-aggfs: /);
  }
  const held = await cli(['new', mnt, 'gpiochip1', '12']);
  t.equal(held.code, 0);
  const busy = await cli(['new', mnt, 'gpiochip1', '11-12']);
  t.equal(busy.code, 1);
  assertOneLineError(t, busy, /EBUSY/);
  t.equal((await cli(['delete', mnt, held.stdout.trim()])).code, 0);
  t.equal(await readFile(join(mnt, 'agg', 'devices'), 'utf8'), before, 'nothing was created');

  const denied = await cli(['new', mnt, 'gpiochip1', '13'], bob);
  t.equal(denied.code, 1);
  assertOneLineError(t, denied, /cannot open .*agg\/new_device: permission denied \(EACCES\)/);
});

t.test('commands on a path that is not a gpio-aggfs mount', async (t) => {
  const plain = await mkdtemp(join(tmpdir(), 'gpio-aggfs-plain-'));
  t.teardown(() => rm(plain, { recursive: true, force: true }));
  for (const args of [['new', plain, 'gpiochip0', '1'], ['delete', plain, 'gpio-agg.0'], ['list', plain], ['unmount', plain],
    ['new', join(plain, 'missing'), 'gpiochip0', '1']]) {
    const result = await cli(args);
    t.equal(result.code, 1, args.join(' '));
    assertOneLineError(t, result, /is not a gpio-aggfs mount/);
    t.ok(result.stderr.includes(args[1] as string), 'names the path');
  }
});

t.test('usage errors exit 2 with a hint', async (t) => {
  const devices = await readFile(join(mnt, 'agg', 'devices'), 'utf8');
  for (const args of [[], ['frob'], ['list', mnt, 'extra'], ['delete', mnt, 'gpio-agg.0', 'extra'],
    ['unmount', mnt, 'extra'], ['chips', '--bogus'], ['new', mnt], ['list']]) {
    const result = await cli(args);
    t.equal(result.code, 2, `gpio-aggfs ${args.join(' ')}`);
    t.match(result.stderr, /Run "gpio-aggfs --help" for usage/);
    t.notMatch(result.stderr, /^ {4}at /m);
    t.equal(result.stdout, '');
  }
  t.ok(await mountedAt(mnt), 'a rejected unmount left the mount alone');
  t.equal(await readFile(join(mnt, 'agg', 'devices'), 'utf8'), devices, 'a rejected command did nothing');
});

interface ListedChip {
  name: string;
  label: string;
  path: string;
  lines: number;
  lineInfo: { offset: number; name: string; consumer: string; used: boolean; direction: string }[];
}

t.test('--version names the GPIO library', async (t) => {
  const version = await cli(['--version']);
  t.equal(version.code, 0, version.stderr);
  t.match(version.stdout, /^gpio-aggfs \d+\.\d+\.\d+\nGPIO library: (libgpiod [12]\.\d|none \()/);
  const bad = await cli(['--version', '--gpio-library', '3']);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /--gpio-library must be one of auto, 1, 2/);
  if (BACKEND === 'sim') {
    const one = await cli(['chips', '--sim', BOARD, '--gpio-library', '1']);
    t.match(one.stdout, /^GPIO library: simulated \(libgpiod 1\.6 semantics\)\n/, '--gpio-library 1 with --sim imitates 1.6');
  }
});

t.test('chips', async (t) => {
  const source = BACKEND === 'sim' ? ['--sim', BOARD] : [];
  const json = await cli(['chips', ...source, '--json']);
  t.equal(json.code, 0, json.stderr);
  const chips = JSON.parse(json.stdout) as ListedChip[];
  const simA = chips.find((c) => c.label === 'sim-a');
  const simB = chips.find((c) => c.label === 'sim-b');
  t.match(simA, { name: 'gpiochip0', path: '/dev/gpiochip0', lines: 8 });
  t.match(simB, { name: 'gpiochip1', path: '/dev/gpiochip1', lines: 16 });
  t.same(simA?.lineInfo.map((l) => l.name), ['LED0', 'LED1', '', 'BUTTON', '', 'status led', '', '']);
  t.same(simB?.lineInfo.map((l) => l.offset), [...Array(16).keys()]);
  t.equal(simB?.lineInfo[2]?.name, 'RELAY');
  if (BACKEND === 'sim') t.equal(chips.length, 2, 'exactly the board chips');

  const text = await cli(['chips', ...source]);
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, BACKEND === 'sim' ? /^GPIO library: simulated \(libgpiod 2\.x semantics\)\n/ : /^GPIO library: libgpiod [12]\.\d/,
    'chips first says which library serves');
  t.match(text.stdout, /^gpiochip0 \[sim-a\] \(8 lines\)$/m);
  t.match(text.stdout, /^gpiochip1 \[sim-b\] \(16 lines\)$/m);
  t.match(text.stdout, /^\tline {3}5: "status led"\s+unused\s+input active-high$/m);

  if (BACKEND === 'libgpiod') {
    // Against the kernel, chips shows what the mount holds.
    const created = await cli(['new', mnt, 'gpiochip1', '14']);
    t.equal(created.code, 0, created.stderr);
    const held = JSON.parse((await cli(['chips', '--json'])).stdout) as ListedChip[];
    t.match(held.find((c) => c.label === 'sim-b')?.lineInfo[14], { used: true, consumer: 'gpio-aggfs' });
    t.equal((await cli(['delete', mnt, created.stdout.trim()])).code, 0);
    const released = JSON.parse((await cli(['chips', '--json'])).stdout) as ListedChip[];
    t.match(released.find((c) => c.label === 'sim-b')?.lineInfo[14], { used: false, consumer: '' });
  }

  const missing = await cli(['chips', '--sim', '/nonexistent/board.json']);
  t.equal(missing.code, 1);
  assertOneLineError(t, missing, /nonexistent\/board\.json/);
});

t.test('unmount stops the daemon and releases its lines', async (t) => {
  const mountpoint = await newMountpoint();
  let second = await startDaemon({ mountpoint });
  t.teardown(() => stopOrKill(second));
  const created = await cli(['new', mountpoint, 'gpiochip1', '10-11']);
  t.equal(created.code, 0, created.stderr);
  t.ok(await mountedAt(mountpoint));

  const unmounted = await cli(['unmount', mountpoint]);
  t.equal(unmounted.code, 0, unmounted.stderr);
  t.equal(await second.stop(), 0, 'the daemon exited with 0');
  t.notOk(await mountedAt(mountpoint), 'the mount is gone from /proc/self/mountinfo');
  if (BACKEND === 'libgpiod') {
    const info = await run(['gpioinfo', ...gpioinfoArgs('gpiochip1')]);
    t.equal(info.code, 0, info.stderr);
    t.notMatch(info.stdout, /gpio-aggfs/, 'no line has consumer gpio-aggfs');
  }
  const again = await cli(['unmount', mountpoint]);
  t.equal(again.code, 1);
  assertOneLineError(t, again, /is not a gpio-aggfs mount/);

  // A new instance can take the very same lines.
  second = await startDaemon({ mountpoint });
  const retaken = await cli(['new', mountpoint, 'gpiochip1', '10-11']);
  t.equal(retaken.code, 0, retaken.stderr);
  t.equal(retaken.stdout, 'gpio-agg.0\n');
});
