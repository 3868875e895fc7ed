// gpio-aggfs over real kernel GPIO: what only the kernel can show. Runs inside
// the test VM with gpio-sim chips (bash test/vm/run.sh -- npx tap test/gpio/kernel-fs.test.ts):
// exclusive ownership against libgpiod's tools, "as is" requests, and a chip
// removed under a live aggregator.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { gpiogetArgs, gpioinfo, gpiosetHoldArgs, gpiosetOnceArgs } from '../helpers/gpio-tools.js';
import { createRemovableChip } from '../helpers/kernel-lines.js';
import { sh } from '../helpers/run.js';

const mustRun = process.env.GPIO_AGGFS_VM === '1' || process.env.CI === 'true';
if (!existsSync('/dev/gpiochip0')) {
  if (mustRun) t.fail('no /dev/gpiochip0: this suite needs the gpio-sim VM (bash test/vm/run.sh -- npx tap test/gpio/kernel-fs.test.ts)');
  else t.plan(0, 'no GPIO chips on this machine; run it in the VM: bash test/vm/run.sh -- npx tap test/gpio/kernel-fs.test.ts');
} else {
  t.setTimeout(900_000);
  suite();
}

const SYSFS = '/sys/bus/gpio/devices';
const simFile = (chip: string, offset: number, file: 'pull' | 'value'): string => `${SYSFS}/${chip}/sim_gpio${offset}/${file}`;
const simValue = (chip: string, offset: number): string => readFileSync(simFile(chip, offset, 'value'), 'utf8').trim();
const setPull = (chip: string, offset: number, pull: 'pull-up' | 'pull-down'): void => writeFileSync(simFile(chip, offset, 'pull'), pull);

function suite(): void {
  let daemon: Daemon;
  t.before(async () => { daemon = await startDaemon(); });
  t.teardown(async () => { await daemon.stop(); });
  const write = (file: string, text: string) => sh(`echo ${text} > ${daemon.path(file)}`);
  const read = async (file: string) => (await sh(`cat ${daemon.path(file)}`)).stdout;

  t.test('a line held by gpioset makes new_device fail with EBUSY', async (t) => {
    const holder = spawn('gpioset', gpiosetHoldArgs('gpiochip1', 9, 1), { stdio: 'ignore' });
    t.teardown(() => { holder.kill(); });
    for (let i = 0; i < 100 && gpioinfo('gpiochip1', 9).consumer !== 'gpioset'; i += 1) await sleep(100);
    t.equal(gpioinfo('gpiochip1', 9).consumer, 'gpioset');
    const result = await write('agg/new_device', '"gpiochip1 8-9"');
    t.equal(result.errno, 'EBUSY', result.stderr);
    t.match(await read('agg/last_error'), /EBUSY/);
    t.equal(gpioinfo('gpiochip1', 8).consumer, '', 'the line taken before the busy one was released');
    t.equal((await read('agg/devices')), '', 'nothing created');
  });

  t.test('a line held by gpio-aggfs is refused to gpioset and gpioget', async (t) => {
    t.equal((await write('agg/new_device', '"gpiochip1 10"')).code, 0);
    t.teardown(() => write('agg/delete_device', 'gpio-agg.0'));
    t.equal(gpioinfo('gpiochip1', 10).consumer, 'gpio-aggfs');
    const set = await sh(['gpioset', ...gpiosetOnceArgs('gpiochip1', 10, 1)].join(' '));
    t.not(set.code, 0);
    t.equal(set.errno, 'EBUSY', set.stderr);
    const get = await sh(['gpioget', ...gpiogetArgs('gpiochip1', 10)].join(' '));
    t.equal(get.errno, 'EBUSY', get.stderr);
  });

  t.test('creating an aggregator changes no line direction or value', async (t) => {
    // Line 11 left as an output driven low against a pull-up, line 12 an input pulled up.
    setPull('gpiochip1', 11, 'pull-up');
    setPull('gpiochip1', 12, 'pull-up');
    execFileSync('gpioset', gpiosetOnceArgs('gpiochip1', 11, 0));
    const before = [11, 12].map((offset) => ({ ...gpioinfo('gpiochip1', offset), value: simValue('gpiochip1', offset) }));
    t.equal(before[0]!.direction, 'output', 'line 11 was left as an output');
    t.equal(before[1]!.direction, 'input');
    t.equal(before[1]!.value, '1');

    t.equal((await write('agg/new_device', '"gpiochip1 11-12"')).code, 0);
    t.teardown(() => write('agg/delete_device', 'gpio-agg.0'));
    for (const [index, offset] of [11, 12].entries()) {
      const info = gpioinfo('gpiochip1', offset);
      t.equal(info.consumer, 'gpio-aggfs');
      t.equal(info.direction, before[index]!.direction, `line ${offset} direction unchanged`);
      t.equal(simValue('gpiochip1', offset), before[index]!.value, `line ${offset} level unchanged`);
      t.equal(await read(`gpio-agg.0/line${index}/direction`), before[index]!.direction === 'output' ? 'out\n' : 'in\n');
      t.equal(await read(`gpio-agg.0/line${index}/value`), `${before[index]!.value}\n`);
    }
    // The output stays driven: a write through gpio-aggfs reaches the pin.
    t.equal((await write('gpio-agg.0/line0/value', '1')).code, 0);
    t.equal(simValue('gpiochip1', 11), '1');
  });

  t.test('edge events carry the kernel timestamps of gpio-sim pull changes', async (t) => {
    setPull('gpiochip1', 14, 'pull-down');
    t.equal((await write('agg/new_device', '"gpiochip1 14"')).code, 0);
    t.teardown(() => write('agg/delete_device', 'gpio-agg.0'));
    t.equal((await write('gpio-agg.0/line0/edge', 'both')).code, 0);
    const reader = spawn('cat', [daemon.path('gpio-agg.0/line0/events')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    reader.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    t.teardown(() => { reader.kill(); });
    await sleep(1000);
    const monotonicAtStart = process.hrtime.bigint();
    const pulls = ['pull-up', 'pull-down', 'pull-up'] as const;
    for (const [index, pull] of pulls.entries()) {
      setPull('gpiochip1', 14, pull);
      // gpio-sim may merge changes made back to back: wait for each edge.
      for (let i = 0; i < 100 && output.trim().split('\n').filter(Boolean).length < index + 1; i += 1) await sleep(100);
    }
    const lines = output.trim().split('\n');
    t.same(lines.map((line) => line.split(' ')[1]), ['rising', 'falling', 'rising']);
    const stamps = lines.map((line) => BigInt(line.split(' ')[0]!));
    t.ok(stamps.every((stamp, i) => i === 0 || stamp > stamps[i - 1]!), 'timestamps increase');
    t.ok(stamps[0]! > monotonicAtStart && stamps[2]! < process.hrtime.bigint(), 'CLOCK_MONOTONIC nanoseconds of the changes');
  });

  t.test('a chip removed under an aggregator: its lines fail, the rest keeps working', async (t) => {
    const removable = createRemovableChip('removable', 4, 'sim-removable');
    t.teardown(() => removable.destroy());
    const chip = removable.name;
    t.match(chip, /^gpiochip\d+$/);

    t.equal((await write('agg/new_device', '"sim-removable 0-1"')).code, 0, 'by label');
    t.equal((await write('agg/new_device', '"gpiochip1 13"')).code, 0);
    t.equal(await read('gpio-agg.0/line1/source'), `${chip} 1\n`);

    removable.remove();
    const readGone = await sh(`cat ${daemon.path('gpio-agg.0/line0/value')}`);
    t.not(readGone.code, 0);
    t.ok(['ENODEV', 'EIO'].includes(readGone.errno ?? ''), `read after removal: ${readGone.stderr}`);
    const writeGone = await write('gpio-agg.0/line1/direction', 'out');
    t.ok(['ENODEV', 'EIO'].includes(writeGone.errno ?? ''), `write after removal: ${writeGone.stderr}`);

    t.equal((await write('gpio-agg.1/line0/direction', 'high')).code, 0, 'the other aggregator still works');
    t.equal(simValue('gpiochip1', 13), '1');
    t.equal(daemon.process.exitCode, null, 'the daemon is still running');
    t.equal((await write('agg/delete_device', 'gpio-agg.0')).code, 0, 'delete_device works');
    t.equal(await read('agg/devices'), 'gpio-agg.1 gpiochip1 13\n');
    t.equal((await write('agg/delete_device', 'gpio-agg.1')).code, 0);
  });
}
