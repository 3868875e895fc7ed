import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startDaemon, stopOrKill } from '../helpers/daemon.js';
import { run } from '../helpers/run.js';
import { testUsers } from '../helpers/users.js';
import { BOARD, echo, ownership, read } from './sysfs-files.js';

/*
 * Permissions of gpioN, export and unexport across unexport/export and a
 * restart, on fixtures/sysfs-board.json (gpiochip1 "sim-b" is GPIOs 544-559).
 */

// Several daemons start one after the other in each file.
t.setTimeout(300_000);

const { alice, bob } = await testUsers();

t.test('permissions of gpioN, export and unexport survive unexport/export and a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gpio-aggfs-sysfs-'));
  const state = join(dir, 'state.json');
  let daemon = await startDaemon({ board: BOARD, args: ['--state', state] });
  t.teardown(() => stopOrKill(daemon));
  const view = (...parts: string[]): string => daemon.path('sysfs-gpio', ...parts);
  const chown = (owner: string, path: string): Promise<unknown> => run(['chown', owner, path]);
  await echo(view('export'), '520');
  await chown(`${alice.uid}:${alice.gid}`, view('gpio520'));
  await chown(`${alice.uid}:${alice.gid}`, view('gpio520', 'value'));
  await run(['chmod', '0600', view('gpio520', 'value')]);
  await chown(`${alice.uid}`, view('export'));
  await run(['chmod', '0220', view('unexport')]);
  await chown(`:${alice.gid}`, view('unexport'));

  t.equal((await echo(view('gpio520', 'direction'), 'out', alice)).errno, 'EACCES', 'direction is still root\'s');
  await echo(view('gpio520', 'direction'), 'out');
  t.equal((await echo(view('gpio520', 'value'), '1', alice)).code, 0, 'alice drives her line');
  t.equal((await echo(view('gpio520', 'value'), '1', bob)).errno, 'EACCES', 'bob does not');
  t.equal((await echo(view('unexport'), '520', alice)).code, 0, 'alice may unexport (group write)');
  t.equal((await echo(view('export'), '520', alice)).code, 0, 'and export (owner)');
  t.equal(await ownership(view('gpio520')), `755 ${alice.uid} ${alice.gid}`, 'gpio520 is hers again');
  t.equal(await ownership(view('gpio520', 'value')), `600 ${alice.uid} ${alice.gid}`);
  t.equal(await ownership(view('gpio520', 'direction')), '644 0 0');
  await echo(view('unexport'), '520');
  const saved = JSON.parse(await readFile(state, 'utf8')) as { permissions: Record<string, unknown> };
  t.ok(saved.permissions['sysfs-gpio/gpio520/value'], 'the state file keeps an unexported line\'s permissions');
  t.ok(saved.permissions['sysfs-gpio/export']);

  await stopOrKill(daemon);
  daemon = await startDaemon({ board: BOARD, args: ['--state', state], mountpoint: daemon.mountpoint });
  t.rejects(read(view('gpio520', 'value')), { code: 'ENOENT' }, 'exports do not persist');
  t.equal(await ownership(view('export')), `200 ${alice.uid} 0`, 'export keeps its owner');
  t.equal(await ownership(view('unexport')), `220 0 ${alice.gid}`, 'unexport its mode and group');
  t.equal((await echo(view('export'), '520', alice)).code, 0);
  t.equal(await ownership(view('gpio520')), `755 ${alice.uid} ${alice.gid}`, 'after a restart, the export gets its permissions back');
  t.equal(await ownership(view('gpio520', 'value')), `600 ${alice.uid} ${alice.gid}`);
  await echo(view('unexport'), '520');
});

