import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { newMountpoint, ROOT, startDaemon, stopOrKill } from '../helpers/daemon.js';
import { run } from '../helpers/run.js';
import { BOARD, echo, read } from './sysfs-files.js';

/*
 * Configured bases (--sysfs-base and the config file) on
 * fixtures/sysfs-board.json: gpiochip0 "sim-wide" with 32 lines, gpiochip1 "sim-b" with 16.
 */

// Several daemons start one after the other in each file.
t.setTimeout(300_000);



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

