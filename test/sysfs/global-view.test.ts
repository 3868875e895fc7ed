import { realpath } from 'node:fs/promises';
import t from 'tap';
import { startDaemon, stopOrKill } from '../helpers/daemon.js';
import { run } from '../helpers/run.js';
import { testUsers } from '../helpers/users.js';
import { echo, listing, POWER_LISTING, read, readlink } from './sysfs-files.js';

/*
 * <mnt>/sysfs-gpio/ on the simulated board of fixtures/vm-board.json:
 * gpiochip0 "sim-a" (8 lines) gets GPIOs 512-519, gpiochip1 "sim-b" (16
 * lines) 520-535, as Linux 6.2+ numbers chips without a fixed base.
 */

t.setTimeout(300_000);
const daemon = await startDaemon();
t.teardown(() => stopOrKill(daemon));
const { alice } = await testUsers();
const view = (...parts: string[]): string => daemon.path('sysfs-gpio', ...parts);
const sim = (chip: string, offset: number, file: 'pull' | 'value'): string => daemon.path('.sim', chip, `sim_gpio${offset}`, file);

t.test('the top directory: export, unexport and one gpiochipB per chip', async (t) => {
  t.equal(await listing(view()), [
    '--w------- 0 0 4096 export',
    'drwxr-xr-x 0 0 0 gpiochip512',
    'drwxr-xr-x 0 0 0 gpiochip520',
    '--w------- 0 0 4096 unexport',
  ].map((line) => `${line}\n`).join(''));
  const refused = await echo(view('export'), '512', alice);
  t.equal(refused.errno, 'EACCES', 'export is root only');
  t.equal((await echo(view('unexport'), '512', alice)).errno, 'EACCES', 'unexport is root only');
  // As in /sys/class/gpio: vfs_create() answers EACCES where sysfs has no create; the rest is EPERM.
  t.equal((await echo(view('newfile'), '1')).errno, 'EACCES', 'creating a file: EACCES, root included');
  t.equal((await echo(view('gpiochip512', 'newfile'), '1')).errno, 'EACCES', 'in a chip directory too');
  t.equal((await run(['mkdir', view('newdir')])).errno, 'EPERM', 'mkdir: EPERM');
  t.equal((await run(['mkfifo', view('fifo')])).errno, 'EPERM', 'mknod: EPERM');
  t.equal((await run(['rm', '-f', view('export')])).errno, 'EPERM', 'rm: EPERM');
  t.equal((await echo(daemon.path('agg', 'newfile'), '1')).errno, 'EPERM', 'outside the view creating stays EPERM');
});

t.test('gpiochipB: base, label, ngpio, device, power, subsystem, uevent', async (t) => {
  t.equal(await listing(view('gpiochip520')), [
    '-r--r--r-- 0 0 4096 base',
    'lrwxrwxrwx 0 0 0 device',
    '-r--r--r-- 0 0 4096 label',
    '-r--r--r-- 0 0 4096 ngpio',
    'drwxr-xr-x 0 0 0 power',
    'lrwxrwxrwx 0 0 0 subsystem',
    '-rw-r--r-- 0 0 4096 uevent',
  ].map((line) => `${line}\n`).join(''));
  t.equal(await read(view('gpiochip520', 'base')), '520\n');
  t.equal(await read(view('gpiochip520', 'label')), 'sim-b\n');
  t.equal(await read(view('gpiochip520', 'ngpio')), '16\n');
  t.equal(await read(view('gpiochip512', 'label')), 'sim-a\n');
  t.equal(await read(view('gpiochip520', 'uevent')), '');
  t.equal(await readlink(view('gpiochip520', 'device')), '../../.sim/gpiochip1', 'device: the chip\'s .sim directory');
  t.equal(await realpath(view('gpiochip520', 'device')), daemon.path('.sim', 'gpiochip1'));
  t.equal(await readlink(view('gpiochip520', 'subsystem')), '..');
  t.equal(await realpath(view('gpiochip520', 'subsystem')), view(), 'subsystem: the class directory');
  for (const file of ['base', 'label', 'ngpio']) {
    t.equal((await echo(view('gpiochip520', file), '1')).errno, 'EACCES', `${file} is read-only, root included`);
  }
});

t.test('power/ as the kernel shows it for a class device', async (t) => {
  const power = (file: string): string => view('gpiochip512', 'power', file);
  t.equal(await listing(view('gpiochip512', 'power')), POWER_LISTING);
  t.equal(await read(power('async')), 'disabled\n');
  t.equal(await read(power('control')), 'auto\n');
  t.equal(await read(power('runtime_status')), 'unsupported\n');
  t.equal(await read(power('runtime_enabled')), 'disabled\n');
  for (const file of ['runtime_active_kids', 'runtime_active_time', 'runtime_suspended_time', 'runtime_usage']) {
    t.equal(await read(power(file)), '0\n', file);
  }
  t.rejects(read(power('autosuspend_delay_ms')), { code: 'EIO' }, 'autosuspend_delay_ms: EIO without autosuspend');
  t.equal((await echo(power('autosuspend_delay_ms'), '100')).errno, 'EIO');
  t.equal((await echo(power('control'), 'sometimes')).errno, 'EINVAL');
  t.equal((await echo(power('async'), 'maybe')).errno, 'EINVAL');
  t.equal((await echo(power('control'), 'on')).code, 0);
  t.equal(await read(power('control')), 'on\n');
  t.equal(await read(power('runtime_enabled')), 'disabled & forbidden\n');
  t.equal(await read(power('runtime_usage')), '1\n');
  t.equal((await echo(power('control'), 'auto')).code, 0);
  t.equal(await read(power('runtime_usage')), '0\n');
  t.equal((await echo(power('async'), 'enabled')).code, 0);
  t.equal(await read(power('async')), 'enabled\n');
  t.equal((await echo(power('runtime_usage'), '1')).errno, 'EACCES');
});

t.test('uevent takes the kernel\'s actions and nothing else', async (t) => {
  t.equal((await echo(view('gpiochip512', 'uevent'), 'change')).code, 0);
  t.equal((await echo(view('gpiochip512', 'uevent'), 'add')).code, 0);
  t.equal((await echo(view('gpiochip512', 'uevent'), 'explode')).errno, 'EINVAL');
});

t.test('export and unexport: numbers, errnos, what appears', async (t) => {
  t.equal((await echo(view('export'), '515')).code, 0);
  t.equal(await listing(view('gpio515')), [
    '-rw-r--r-- 0 0 4096 active_low',
    'lrwxrwxrwx 0 0 0 device',
    '-rw-r--r-- 0 0 4096 direction',
    '-rw-r--r-- 0 0 4096 edge',
    'drwxr-xr-x 0 0 0 power',
    'lrwxrwxrwx 0 0 0 subsystem',
    '-rw-r--r-- 0 0 4096 uevent',
    '-rw-r--r-- 0 0 4096 value',
  ].map((line) => `${line}\n`).join(''));
  t.equal(await listing(view('gpio515', 'power')), POWER_LISTING);
  t.equal(await readlink(view('gpio515', 'device')), '../../.sim/gpiochip0');
  t.equal(await realpath(view('gpio515', 'subsystem')), view());
  t.equal(await read(view('gpio515', 'uevent')), '');
  t.equal(await read(view('gpio515', 'direction')), 'in\n');
  t.equal(await read(view('gpio515', 'edge')), 'none\n');
  t.equal(await read(view('gpio515', 'active_low')), '0\n');
  t.equal(await read(view('gpio515', 'value')), '0\n');

  t.equal((await echo(view('export'), '515')).errno, 'EBUSY', 'exported twice: EBUSY');
  t.equal((await echo(view('unexport'), '0x203')).code, 0, 'unexport reads numbers as kstrtol does: 0x203 is 515');
  t.rejects(read(view('gpio515', 'value')), { code: 'ENOENT' }, 'gpio515 is gone');
  t.equal((await echo(view('export'), '01003')).code, 0, 'so does export: octal 01003 is 515');
  t.equal(await read(view('gpio515', 'value')), '0\n', 'gpio515 is back');
  // gpio_to_desc() takes an unsigned int: the kernel's export and unexport wrap a long beyond 32 bits.
  t.equal((await echo(view('export'), String(2 ** 32 + 514))).code, 0, 'export 2^32 + 514 is export 514');
  t.equal(await read(view('gpio514', 'direction')), 'in\n', 'gpio514 is there');
  t.equal((await echo(view('export'), String(514 - 2 ** 32))).errno, 'EBUSY', '514 - 2^32 is 514 too: exported already');
  t.equal((await echo(view('unexport'), String(514 - 2 ** 32))).code, 0, 'unexport wraps the same way');
  t.rejects(read(view('gpio514', 'value')), { code: 'ENOENT' }, 'gpio514 is gone');
  for (const bad of ['511', '536', '-1', '99999', 'junk', '', '5 12', '512x']) {
    t.equal((await echo(view('export'), bad)).errno, 'EINVAL', `export ${JSON.stringify(bad)}: EINVAL`);
    t.equal((await echo(view('unexport'), bad)).errno, 'EINVAL', `unexport ${JSON.stringify(bad)}: EINVAL`);
  }
  t.equal((await echo(view('export'), '99999999999999999999')).errno, 'ERANGE', 'kstrtol overflow: ERANGE');
  t.equal((await echo(view('unexport'), '514')).errno, 'EINVAL', 'a line not exported: EINVAL');
  t.equal((await echo(view('unexport'), '515')).code, 0);
  t.rejects(read(view('gpio515', 'value')), { code: 'ENOENT' }, 'gpio515 is gone again');
  t.equal((await echo(view('unexport'), '515')).errno, 'EINVAL', 'unexported twice: EINVAL');
});

t.test('an exported line is busy for aggregators, an aggregator\'s line for export', async (t) => {
  t.equal((await echo(view('export'), '521')).code, 0);
  const busy = await echo(daemon.path('agg', 'new_device'), 'gpiochip1 1');
  t.equal(busy.errno, 'EBUSY', 'aggregating an exported line: EBUSY');
  t.match(await read(daemon.path('agg', 'last_error')), /sysfs/, 'held by the consumer "sysfs"');
  t.equal((await echo(view('unexport'), '521')).code, 0);
  t.equal((await echo(daemon.path('agg', 'new_device'), 'gpiochip1 1')).code, 0, 'free again once unexported');
  t.equal((await echo(view('export'), '521')).errno, 'EBUSY', 'exporting an aggregated line: EBUSY');
  t.equal((await echo(daemon.path('agg', 'delete_device'), 'gpio-agg.0')).code, 0);
});

t.test('direction, value, active_low and edge with gpiolib-sysfs semantics', async (t) => {
  t.equal((await echo(view('export'), '513')).code, 0);
  t.teardown(() => echo(view('unexport'), '513'));
  const gpio = (file: string): string => view('gpio513', file);
  await echo(sim('gpiochip0', 1, 'pull'), 'pull-up');
  t.equal(await read(gpio('value')), '1\n', 'an input reads its pull');
  t.equal((await echo(gpio('value'), '0')).errno, 'EPERM', 'writing an input: EPERM');
  t.equal((await echo(gpio('value'), 'junk')).errno, 'EPERM', 'EPERM comes before parsing');
  t.equal((await echo(gpio('direction'), 'sideways')).errno, 'EINVAL');

  t.equal((await echo(gpio('direction'), 'high')).code, 0);
  t.equal(await read(gpio('direction')), 'out\n');
  t.equal(await read(sim('gpiochip0', 1, 'value')), '1\n', 'high drives 1');
  t.equal((await echo(gpio('direction'), 'low')).code, 0);
  t.equal(await read(sim('gpiochip0', 1, 'value')), '0\n', 'low drives 0');
  await echo(gpio('direction'), 'high');
  t.equal((await echo(gpio('direction'), 'out')).code, 0);
  t.equal(await read(sim('gpiochip0', 1, 'value')), '0\n', 'out drives 0');
  t.equal((await echo(gpio('value'), '0x1')).code, 0);
  t.equal(await read(gpio('value')), '1\n');
  t.equal((await echo(gpio('value'), 'on')).errno, 'EINVAL', 'not an integer: EINVAL');
  t.equal((await echo(gpio('value'), '0')).code, 0);

  t.equal((await echo(gpio('active_low'), '1')).code, 0);
  t.equal(await read(gpio('active_low')), '1\n');
  t.equal(await read(gpio('value')), '1\n', 'active-low: physical 0 reads 1');
  t.equal(await read(sim('gpiochip0', 1, 'value')), '0\n', 'the output keeps its level');
  t.equal((await echo(gpio('direction'), 'high')).code, 0);
  t.equal(await read(sim('gpiochip0', 1, 'value')), '1\n', 'high is the raw level, whatever active_low');
  t.equal(await read(gpio('value')), '0\n');
  t.equal((await echo(gpio('active_low'), 'x')).errno, 'EINVAL');
  t.equal((await echo(gpio('active_low'), '0')).code, 0);

  t.equal((await echo(gpio('edge'), 'rising')).errno, 'EIO', 'an edge on an output: EIO');
  t.equal(await read(gpio('edge')), 'none\n');
  t.equal((await echo(gpio('direction'), 'in')).code, 0);
  for (const edge of ['rising', 'falling', 'both', 'none']) {
    t.equal((await echo(gpio('edge'), edge)).code, 0, `edge ${edge}`);
    t.equal(await read(gpio('edge')), `${edge}\n`);
  }
  t.equal((await echo(gpio('edge'), 'up')).errno, 'EINVAL');
  await echo(gpio('edge'), 'both');
  t.equal((await echo(gpio('direction'), 'out')).code, 0, 'an input with an edge may become an output, as in sysfs');
  t.equal(await read(gpio('edge')), 'both\n', 'and keeps showing its edge');
  t.equal((await echo(gpio('edge'), 'both')).code, 0, 'the same edge again is accepted');
  t.equal((await echo(gpio('direction'), 'in')).code, 0);
  t.equal(await read(gpio('edge')), 'both\n', 'back to an input, the edge is set up again');
  await echo(gpio('direction'), 'out');
  t.equal((await echo(gpio('edge'), 'falling')).errno, 'EIO', 'changing the edge of an output: EIO');
  t.equal(await read(gpio('edge')), 'none\n', 'the old edge is gone, as in the kernel');
  await echo(gpio('direction'), 'in');
  await echo(sim('gpiochip0', 1, 'pull'), 'pull-down');
});

t.test('chips added and removed through .sim show up and vanish with their exports', async (t) => {
  t.equal((await echo(daemon.path('.sim', 'new_chip'), 'sim-c 32')).code, 0);
  t.equal(await read(view('gpiochip536', 'label')), 'sim-c\n', 'the next free range: 536');
  t.equal(await read(view('gpiochip536', 'ngpio')), '32\n');
  t.equal(await readlink(view('gpiochip536', 'device')), '../../.sim/gpiochip2');
  t.equal((await echo(view('export'), '567')).code, 0);
  await echo(sim('gpiochip2', 31, 'pull'), 'pull-up');
  t.equal(await read(view('gpio567', 'value')), '1\n');
  t.equal((await echo(daemon.path('.sim', 'delete_chip'), 'gpiochip2')).code, 0);
  t.rejects(read(view('gpiochip536', 'base')), { code: 'ENOENT' }, 'the chip is gone');
  t.rejects(read(view('gpio567', 'value')), { code: 'ENOENT' }, 'its exported line is gone');
  t.equal((await echo(view('export'), '567')).errno, 'EINVAL', 'its numbers are invalid');
  t.equal((await echo(daemon.path('.sim', 'new_chip'), 'sim-d 4')).code, 0);
  t.equal(await read(view('gpiochip536', 'label')), 'sim-d\n', 'a new chip takes the free range');
  t.equal((await echo(daemon.path('.sim', 'delete_chip'), 'gpiochip2')).code, 0);
  for (const bad of ['sim-e', 'sim-e 0', 'sim-e 513', 'sim-e x', '']) {
    t.equal((await echo(daemon.path('.sim', 'new_chip'), bad)).errno, 'EINVAL', `new_chip ${JSON.stringify(bad)}`);
  }
  t.equal((await echo(daemon.path('.sim', 'delete_chip'), 'gpiochip9')).errno, 'ENOENT');
  t.equal((await echo(daemon.path('.sim', 'delete_chip'), 'chip0')).errno, 'EINVAL');
  t.equal((await echo(daemon.path('.sim', 'new_chip'), 'sim-e 4', alice)).errno, 'EACCES', '.sim is root only');
});
