// What differs between the libgpiod generations against the kernel, through
// the mounted filesystem. Runs inside the test VM with gpio-sim chips, once per
// library (GPIO_AGGFS_GPIO_LIBRARY, see .ci/test); what runs is selected by
// the capability table of the library the daemon reports:
//   bash test/vm/run.sh -- bash test/vm/run-tests.sh test/gpio/libgpiod-generations.test.ts
//   GPIO_AGGFS_VM_PASSENV=GPIO_AGGFS_GPIO_LIBRARY GPIO_AGGFS_GPIO_LIBRARY=2 bash test/vm/run.sh -- …
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { CAPABILITIES } from '../../lib/gpio/backend.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { gpiogetArgs } from '../helpers/gpio-tools.js';
import { createRemovableChip } from '../helpers/kernel-lines.js';
import { sh } from '../helpers/run.js';

const mustRun = process.env.GPIO_AGGFS_VM === '1' || process.env.CI === 'true';
if (!existsSync('/dev/gpiochip0')) {
  if (mustRun) t.fail('no /dev/gpiochip0: this suite needs the gpio-sim VM (bash test/vm/run.sh)');
  else t.plan(0, 'no GPIO chips on this machine; run it in the VM: bash test/vm/run.sh');
} else {
  t.setTimeout(900_000);
  suite();
}

const SYSFS = '/sys/bus/gpio/devices';
const setPull = (chip: string, offset: number, pull: 'pull-up' | 'pull-down'): void =>
  writeFileSync(`${SYSFS}/${chip}/sim_gpio${offset}/pull`, pull);

function suite(): void {
  let daemon: Daemon;
  let generation: '1' | '2';
  t.before(async () => {
    daemon = await startDaemon();
    const served = /\(GPIO: libgpiod (\d)\./.exec(daemon.output());
    if (!served) throw new Error(`the daemon did not say which library serves:\n${daemon.output()}`);
    generation = served[1] === '2' ? '2' : '1';
    t.comment(`served by ${/\(GPIO: ([^\n]*)\)$/m.exec(daemon.output())?.[1]}`);
  });
  t.teardown(async () => { await daemon.stop(); });
  const file = (...parts: string[]): string => daemon.path(...parts);
  const write = (path: string, text: string) => sh(`echo ${text} > ${daemon.path(path)}`);
  const read = (path: string): string => readFileSync(daemon.path(path), 'utf8');

  t.test('the daemon has the library it reports mapped', async (t) => {
    const maps = readFileSync(`/proc/${daemon.process.pid}/maps`, 'utf8');
    if (generation === '2') {
      t.match(maps, /libgpiod\.so\.3/, 'libgpiod 2.x (libgpiod.so.3) is mapped');
      t.notMatch(maps, /libgpiod\.so\.2/, 'libgpiod 1.6 is not');
    } else {
      t.match(maps, /libgpiod\.so\.2/, 'libgpiod 1.6 (libgpiod.so.2) is mapped');
    }
  });

  t.test('edge events carry the kernel\'s timestamps (CLOCK_MONOTONIC)', async (t) => {
    t.equal((await write('agg/new_device', '"gpiochip1 11"')).code, 0);
    t.teardown(() => write('agg/delete_device', 'gpio-agg.0'));
    writeFileSync(file('gpio-agg.0', 'line0', 'edge'), 'both');
    const cat = spawn('cat', [file('gpio-agg.0', 'line0', 'events')], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    cat.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    t.teardown(() => { cat.kill(); });
    await sleep(2000); // cat has the file open
    const before = process.hrtime.bigint();
    setPull('gpiochip1', 11, 'pull-up');
    for (let i = 0; i < 300 && !out.includes('\n'); i++) await sleep(100);
    const read = process.hrtime.bigint();
    const m = /^(\d+) rising$/m.exec(out);
    t.ok(m, `one rising event: ${JSON.stringify(out)}`);
    const ts = BigInt(m?.[1] ?? '0');
    // gpio-sim raises its interrupt from a work item, so the stamp can follow the write a little.
    t.ok(ts >= before && ts <= read, `timestamp ${ts} is the kernel's CLOCK_MONOTONIC, between the pull and the read (${before}..${read})`);
  });

  t.test('debounce_us by capability', async (t) => {
    t.equal((await write('agg/new_device', '"gpiochip1 12-13"')).code, 0);
    t.teardown(() => write('agg/delete_device', 'gpio-agg.0'));
    t.equal(read('gpio-agg.0/line0/debounce_us'), '0\n', 'reads 0 at first');
    if (!CAPABILITIES[generation].debounce) {
      const refused = await write('gpio-agg.0/line0/debounce_us', '1000');
      t.equal(refused.errno, 'EOPNOTSUPP', `libgpiod 1.6 has no debounce: ${refused.stderr}`);
      t.equal((await write('gpio-agg.0/line0/debounce_us', '0')).errno, 'EOPNOTSUPP', 'not even 0');
      t.equal(read('gpio-agg.0/line0/debounce_us'), '0\n');
      return;
    }
    // An output refuses it.
    t.equal((await write('gpio-agg.0/line1/direction', 'out')).code, 0);
    const onOutput = await write('gpio-agg.0/line1/debounce_us', '1000');
    t.equal(onOutput.errno, 'EIO', `EIO on an output: ${onOutput.stderr}`);
    t.equal(read('gpio-agg.0/line1/debounce_us'), '0\n');

    // A burst of pulls far shorter than the period raises one edge, after it.
    const PERIOD_US = 500_000;
    writeFileSync(file('gpio-agg.0', 'line0', 'edge'), 'both');
    writeFileSync(file('gpio-agg.0', 'line0', 'debounce_us'), String(PERIOD_US));
    t.equal(read('gpio-agg.0/line0/debounce_us'), `${PERIOD_US}\n`);
    t.equal(read('gpio-agg.0/line0/edge'), 'both\n', 'the edge stays set');
    const cat = spawn('cat', [file('gpio-agg.0', 'line0', 'events')], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    cat.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    t.teardown(() => { cat.kill(); });
    await sleep(2000);
    const pulls: ('pull-up' | 'pull-down')[] = ['pull-up', 'pull-down', 'pull-up', 'pull-down', 'pull-up', 'pull-down', 'pull-up'];
    for (const pull of pulls) setPull('gpiochip1', 12, pull);
    await sleep(PERIOD_US / 1000 * 6);
    t.same(out.trim().split('\n').filter(Boolean).map((l) => l.split(' ')[1]), ['rising'],
      `${pulls.length} pulls inside one period: one edge (${JSON.stringify(out)})`);
    t.equal(read('gpio-agg.0/line0/value'), '1\n');
    const toOutput = await write('gpio-agg.0/line0/direction', 'out');
    t.equal(toOutput.errno, 'EIO', 'no output while edge and debounce are set');
    writeFileSync(file('gpio-agg.0', 'line0', 'debounce_us'), '0');
    t.equal(read('gpio-agg.0/line0/debounce_us'), '0\n');
  });

  t.test('edge switched repeatedly: another process never gets the line (in place on uAPI v2)', async (t) => {
    if (!CAPABILITIES[generation].edgeInPlace) {
      // libgpiod 1.6 releases and requests again (a microseconds-long window, see libgpiod1-line.ts):
      // what holds there is only that every switch works.
      t.equal((await write('agg/new_device', '"gpiochip1 14"')).code, 0);
      t.teardown(() => write('agg/delete_device', 'gpio-agg.0'));
      for (const edge of ['both', 'none', 'rising', 'none']) {
        writeFileSync(file('gpio-agg.0', 'line0', 'edge'), edge);
        t.equal(read('gpio-agg.0/line0/edge'), `${edge}\n`);
      }
      return;
    }
    t.equal((await write('agg/new_device', '"gpiochip1 14"')).code, 0);
    t.teardown(() => write('agg/delete_device', 'gpio-agg.0'));
    const args = gpiogetArgs('gpiochip1', 14).join(' ');
    const loop = spawn('bash', ['-c', `while :; do if gpioget ${args} >/dev/null 2>&1; then echo GOT; else echo busy; fi; done`],
      { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    loop.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    t.teardown(() => { loop.kill(); });
    for (let i = 0; i < 300 && !out.includes('busy'); i++) await sleep(100);
    const tries = (): number => out.split('\n').filter(Boolean).length;
    const before = tries();
    let switches = 0;
    // Switch until the other process has tried many times while the switching went on.
    while (switches < 200 && (tries() - before < 20 || switches < 40)) {
      writeFileSync(file('gpio-agg.0', 'line0', 'edge'), switches % 2 === 0 ? 'both' : 'none');
      switches += 1;
      if (switches % 10 === 0) await sleep(1);
    }
    loop.kill();
    t.ok(tries() - before > 0, `gpioget tried ${tries() - before} times during ${switches} switches`);
    t.notMatch(out, /GOT/, 'gpioget never got the line');
    t.equal(read('gpio-agg.0/line0/value'), read('gpio-agg.0/line0/value'), 'the line still reads');
  });

  t.test('a chip removed under an aggregator gives ENODEV', async (t) => {
    const removable = createRemovableChip('generations-removable', 2, 'sim-gen-removable');
    t.teardown(() => removable.destroy());
    t.equal((await write('agg/new_device', '"sim-gen-removable 0-1"')).code, 0);
    t.teardown(() => write('agg/delete_device', 'gpio-agg.0'));
    writeFileSync(file('gpio-agg.0', 'line0', 'edge'), 'both');
    removable.remove();
    const gone = await sh(`cat ${file('gpio-agg.0', 'line1', 'value')}`);
    t.equal(gone.errno, 'ENODEV', `read after removal: ${gone.stderr}`);
    const goneEdge = await sh(`cat ${file('gpio-agg.0', 'line0', 'value')}`);
    t.equal(goneEdge.errno, 'ENODEV', `read of the edge-watched line: ${goneEdge.stderr}`);
  });
}
