import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { BACKEND, BIN, BOARD, newMountpoint, startDaemon, stopOrKill } from '../helpers/daemon.js';
import { run, type Identity, type RunResult } from '../helpers/run.js';
import { testUsers } from '../helpers/users.js';

// Every process start is slow under the VM's software emulation.
t.setTimeout(BACKEND === 'libgpiod' ? 900_000 : 300_000);

function cli(args: readonly string[], as?: Identity): Promise<RunResult> {
  return run([process.execPath, BIN, ...args], as === undefined ? {} : { as });
}

/** A failure: exit 1, exactly one line on stderr matching `pattern`, nothing on stdout, no stack trace. */
function fails(t: Test, result: RunResult, pattern: RegExp): void {
  t.equal(result.code, 1, `exit 1: ${result.stderr}`);
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  t.equal(lines.length, 1, `one line: ${result.stderr}`);
  t.match(result.stderr, /^gpio-aggfs: /);
  t.match(result.stderr, pattern);
  t.notMatch(result.stderr, /^\s+at /m, 'no stack trace');
  t.equal(result.stdout, '');
}

const { bob } = await testUsers();
const daemon = await startDaemon();
t.teardown(() => stopOrKill(daemon));
const mnt = daemon.mountpoint;
const devices = (): Promise<string> => readFile(join(mnt, 'agg', 'devices'), 'utf8');

t.test('new takes the whole spec as one argument, or as words', async (t) => {
  const whole = await cli(['new', mnt, 'gpiochip0 1-2']);
  t.equal(whole.code, 0, whole.stderr);
  const name = whole.stdout.trim();
  t.equal(await readFile(join(mnt, name, 'spec'), 'utf8'), 'gpiochip0 1-2\n', 'one argument: the spec, not a line name');
  t.equal((await cli(['delete', mnt, name])).code, 0);

  const words = await cli(['new', mnt, 'gpiochip0', '1-2']);
  t.equal(words.code, 0, words.stderr);
  t.equal(await readFile(join(mnt, words.stdout.trim(), 'spec'), 'utf8'), 'gpiochip0 1-2\n');
  t.equal((await cli(['delete', mnt, words.stdout.trim()])).code, 0);

  const quoted = await cli(['new', mnt, '"status led"']);
  t.equal(quoted.code, 0, quoted.stderr);
  t.equal(await readFile(join(mnt, quoted.stdout.trim(), 'line0', 'name'), 'utf8'), 'status led\n', 'a quoted name inside the one argument');
  t.equal((await cli(['delete', mnt, quoted.stdout.trim()])).code, 0);
});

t.test('unmount as a user who may not stop the daemon: one line, EPERM, the daemon goes on', async (t) => {
  const before = await devices();
  fails(t, await cli(['unmount', mnt], bob), /cannot stop gpio-aggfs \(pid \d+\) serving .*: it runs as another user.*\(EPERM\)/);
  t.equal(await devices(), before, 'still served');
});

t.test('every command as a user given nothing fails with one line', async (t) => {
  fails(t, await cli(['new', mnt, 'gpiochip0', '1'], bob), /cannot open .*new_device: permission denied \(EACCES\)/);
  fails(t, await cli(['delete', mnt, 'gpio-agg.0'], bob), /cannot open .*delete_device: permission denied \(EACCES\)/);
  const listed = await cli(['list', mnt], bob);
  t.equal(listed.code, 0, `list only reads: ${listed.stderr}`);
});

t.test('mount says why it cannot mount', async (t) => {
  const mountpoint = await newMountpoint();
  const backendArgs = BACKEND === 'sim' ? ['--sim', BOARD] : [];
  const result = await cli(['mount', mountpoint, ...backendArgs], bob);
  // The first thing in the way, named: the mountpoint (in a directory of root's) it may not
  // create, or /dev/fuse it may not open.
  fails(t, result, /cannot create the mountpoint .*: permission denied \(EACCES\)|\/dev\/fuse may not be opened by this user/);
  fails(t, await cli(['mount', join(mountpoint, 'x'), '--sim', '/nonexistent/board.json']), /nonexistent\/board\.json/);
});

t.test('chips with no chips says so', async (t) => {
  const chips = await run(['sh', '-c', 'ls /dev/gpiochip* 2>/dev/null | wc -l']);
  const result = await cli(['chips']);
  if (Number(chips.stdout.trim()) === 0) {
    fails(t, result, /no GPIO chips found/);
  } else {
    t.equal(result.code, 0, `chips are there: ${result.stderr}`);
    t.match(result.stdout, /^gpiochip\d+ \[/m);
  }
});
