import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { newMountpoint, ROOT, startDaemon, stopOrKill } from '../helpers/daemon.js';
import { run } from '../helpers/run.js';
import { testUsers } from '../helpers/users.js';
import { echo, read } from './sysfs-files.js';

/*
 * Configured bases (--sysfs-base and the config file), and the permissions
 * of gpioN, export and unexport across unexport/export and a restart.
 * fixtures/sysfs-board.json: gpiochip0 "sim-wide" with 32 lines, gpiochip1 "sim-b" with 16.
 */

const BOARD = join(ROOT, 'fixtures', 'sysfs-board.json');
const { alice, bob } = await testUsers();

async function ownership(path: string): Promise<string> {
  const result = await run(['stat', '-c', '%a %u %g', path]);
  if (result.code !== 0) throw new Error(`stat ${path}: ${result.stderr}`);
  return result.stdout.trim();
}

t.test('--sysfs-base gpiochip0=0: echo 17 > export reaches gpiochip0 line 17', async (t) => {
  const daemon = await startDaemon({ board: BOARD, args: ['--sysfs-base', 'gpiochip0=0'] });
  t.teardown(() => stopOrKill(daemon));
  const view = (...parts: string[]): string => daemon.path('sysfs-gpio', ...parts);
  t.equal(await read(view('gpiochip0', 'base')), '0\n');
  t.equal(await read(view('gpiochip0', 'ngpio')), '32\n');
  t.equal(await read(view('gpiochip512', 'label')), 'sim-b\n', 'the other chip is numbered from 512');
  t.equal((await echo(view('export'), '17')).code, 0);
  await echo(daemon.path('.sim', 'gpiochip0', 'sim_gpio17', 'pull'), 'pull-up');
  t.equal(await read(view('gpio17', 'value')), '1\n', 'gpio17 reads line 17');
  t.equal((await echo(view('gpio17', 'direction'), 'low')).code, 0);
  t.equal(await read(daemon.path('.sim', 'gpiochip0', 'sim_gpio17', 'value')), '0\n', 'and drives it');
  t.equal((await echo(daemon.path('agg', 'new_device'), 'GPIO17')).errno, 'EBUSY', 'line 17 is held by sysfs');
  t.equal((await echo(view('export'), '32')).errno, 'EINVAL', '32 is past gpiochip0');
  t.equal((await echo(view('unexport'), '17')).code, 0);
});

t.test('bases from the config file; the command line wins', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gpio-aggfs-sysfs-'));
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ sysfs: { bases: { 'sim-b': 100, gpiochip0: 0 } } }));
  const daemon = await startDaemon({ board: BOARD, args: ['--config', config, '--sysfs-base', 'gpiochip0=200'] });
  t.teardown(() => stopOrKill(daemon));
  t.equal(await read(daemon.path('sysfs-gpio', 'gpiochip100', 'label')), 'sim-b\n', 'a chip keyed by its label');
  t.equal(await read(daemon.path('sysfs-gpio', 'gpiochip200', 'label')), 'sim-wide\n', '--sysfs-base over the config file');
});

t.test('bad bases refuse to start, naming what is wrong', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gpio-aggfs-sysfs-'));
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ sysfs: { bases: { gpiochip0: -1 } } }));
  const mount = async (args: string[]): Promise<string> => {
    const result = await run([process.execPath, join(ROOT, 'bin', 'gpio-aggfs'), 'mount', await newMountpoint(), '--sim', BOARD, ...args]);
    t.not(result.code, 0, `${args.join(' ')} refused`);
    return result.stderr;
  };
  t.match(await mount(['--sysfs-base', 'gpiochip0']), /invalid sysfs base "gpiochip0": expected CHIP=BASE/);
  t.match(await mount(['--sysfs-base', 'gpiochip0=-5']), /invalid sysfs base/);
  t.match(await mount(['--sysfs-base', 'gpiochip0=1', '--sysfs-base', 'gpiochip0=2']), /--sysfs-base: sysfs base of gpiochip0 given twice/);
  t.match(await mount(['--config', config]), /sysfs\.bases\.gpiochip0|sysfs\/bases\/gpiochip0/);
});

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

t.test('gpio-agg.N/sysfs-gpio: only its lines, the same nodes as lineK, export owned by the aggregator\'s owner', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gpio-aggfs-sysfs-'));
  const state = join(dir, 'state.json');
  let daemon = await startDaemon({ board: BOARD, args: ['--state', state] });
  t.teardown(() => stopOrKill(daemon));
  await echo(daemon.path('agg', 'new_device'), 'gpiochip1 3-4');
  const agg = (...parts: string[]): string => daemon.path('gpio-agg.0', 'sysfs-gpio', ...parts);
  const { stdout } = await run(['ls', agg()]);
  t.same(stdout.split('\n').filter(Boolean), ['export', 'gpiochip544', 'unexport'].sort(), 'only the chip it uses');
  t.equal(await read(agg('gpiochip544', 'base')), '544\n');
  t.equal(await read(agg('gpiochip544', 'label')), 'sim-b\n');
  t.equal((await echo(agg('export'), '549')).errno, 'EINVAL', 'another line of the same chip: EINVAL');
  t.equal((await echo(agg('export'), '0')).errno, 'EINVAL', 'a line of another chip: EINVAL');
  t.equal((await echo(agg('unexport'), '549')).errno, 'EINVAL');
  t.equal((await echo(agg('unexport'), '548')).errno, 'EINVAL', 'a line of it that is not exported: EINVAL');
  t.equal((await echo(agg('export'), '548')).code, 0, 'its own line: 544 + 4 is line1');
  t.equal((await echo(agg('export'), '548')).errno, 'EBUSY', 'twice: EBUSY');
  t.equal((await echo(daemon.path('sysfs-gpio', 'export'), '548')).errno, 'EBUSY', 'the global view cannot take it');
  t.same((await run(['ls', agg()])).stdout.split('\n').filter(Boolean), ['export', 'gpio548', 'gpiochip544', 'unexport']);
  t.equal(await readlink(agg('gpio548', 'device')), '../../../.sim/gpiochip1');

  await run(['chown', `${alice.uid}:${alice.gid}`, daemon.path('gpio-agg.0', 'line1')]);
  await run(['chmod', '0660', daemon.path('gpio-agg.0', 'line1', 'value')]);
  await run(['chown', `${alice.uid}`, daemon.path('gpio-agg.0', 'line1', 'value')]);
  t.equal(await ownership(agg('gpio548')), `755 ${alice.uid} ${alice.gid}`, 'gpio548 has line1\'s owner');
  t.equal(await ownership(agg('gpio548', 'value')), `660 ${alice.uid} 0`, 'and its value line1/value\'s mode');
  await run(['chmod', '0640', agg('gpio548', 'value')]);
  t.equal(await ownership(daemon.path('gpio-agg.0', 'line1', 'value')), `640 ${alice.uid} 0`, 'chmod of either changes both');
  await echo(agg('gpio548', 'direction'), 'high');
  t.equal(await read(daemon.path('gpio-agg.0', 'line1', 'value')), '1\n', 'the same line');
  t.equal(await read(daemon.path('.sim', 'gpiochip1', 'sim_gpio4', 'value')), '1\n');
  t.equal((await echo(agg('gpio548', 'value'), '0', alice)).code, 0, 'alice writes through gpio548');
  t.equal((await echo(agg('gpio548', 'value'), '0', bob)).errno, 'EACCES');

  t.equal((await echo(agg('export'), '549', alice)).errno, 'EACCES', 'export is root\'s while gpio-agg.0 is');
  await run(['chown', `${alice.uid}:${alice.gid}`, daemon.path('gpio-agg.0')]);
  t.equal(await ownership(agg('export')), `200 ${alice.uid} ${alice.gid}`, 'export follows the aggregator\'s owner');
  t.equal(await ownership(agg('unexport')), `200 ${alice.uid} ${alice.gid}`);
  t.equal((await echo(agg('unexport'), '548', alice)).code, 0, 'the aggregator\'s owner unexports');
  t.equal((await echo(agg('export'), '549', alice)).errno, 'EINVAL');
  t.equal((await echo(agg('export'), '549', bob)).errno, 'EACCES');
  t.equal(await read(daemon.path('gpio-agg.0', 'line1', 'value')), '0\n', 'unexport releases nothing');
  t.equal((await echo(daemon.path('sysfs-gpio', 'export'), '548')).errno, 'EBUSY', 'still held by the aggregator');

  const saved = JSON.parse(await readFile(state, 'utf8')) as { permissions: Record<string, unknown> };
  t.same(Object.keys(saved.permissions).filter((path) => path.includes('sysfs-gpio')), [], 'second names are not saved twice');
  await echo(agg('gpio548', 'direction'), 'in').catch(() => {});
  await stopOrKill(daemon);
  daemon = await startDaemon({ board: BOARD, args: ['--state', state], mountpoint: daemon.mountpoint });
  t.equal((await echo(agg('export'), '548', alice)).code, 0, 'after a restart');
  t.equal(await ownership(agg('gpio548', 'value')), `640 ${alice.uid} 0`, 'gpio548 has line1\'s saved permissions');
  await echo(daemon.path('gpio-agg.0', 'line1', 'direction'), 'in');
});

async function readlink(path: string): Promise<string> {
  return (await run(['readlink', path])).stdout.trim();
}
