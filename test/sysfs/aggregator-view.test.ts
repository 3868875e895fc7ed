import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startDaemon, stopOrKill } from '../helpers/daemon.js';
import { run } from '../helpers/run.js';
import { testUsers } from '../helpers/users.js';
import { BOARD, echo, ownership, read } from './sysfs-files.js';

/*
 * gpio-agg.N/sysfs-gpio/ on fixtures/sysfs-board.json (gpiochip1 "sim-b"
 * is GPIOs 544-559): only the aggregator's lines, second names of lineK.
 */

// Several daemons start one after the other in each file.
t.setTimeout(300_000);

const { alice, bob } = await testUsers();

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
  t.equal((await echo(agg('export'), String(2 ** 32 + 548))).errno, 'EBUSY', '2^32 + 548 wraps to 548, as in the kernel');
  t.equal((await echo(agg('newfile'), '1')).errno, 'EACCES', 'creating a file: EACCES, as in sysfs');
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
