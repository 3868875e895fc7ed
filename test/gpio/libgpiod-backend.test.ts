// The libgpiod backends against the kernel's gpio-sim chips. Runs inside the
// test VM (test/vm/run.sh, board fixtures/vm-board.json), against the library
// GPIO_AGGFS_GPIO_LIBRARY chooses (1, 2 or auto, as the daemon would); what
// differs between the generations is selected by the capability table:
//   bash test/vm/run.sh -- npx tap test/gpio/libgpiod-backend.test.ts
//   GPIO_AGGFS_VM_PASSENV=GPIO_AGGFS_GPIO_LIBRARY GPIO_AGGFS_GPIO_LIBRARY=2 bash test/vm/run.sh -- …
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { readdirSync, readlinkSync } from 'node:fs';
import type { Backend, EdgeEvent, LineHandle, LineSettings } from '../../lib/gpio/backend.js';
import { gpioEventFds } from '../../lib/gpio/edge-reader.js';
import { openBackend } from '../../lib/gpio/open-backend.js';
import { errnoFromMessage } from '../helpers/errno.js';
import { gpiogetArgs, gpioinfo, gpiosetOnceArgs, holdWithGpioset } from '../helpers/gpio-tools.js';
import { createRemovableChip, resetKernelLines } from '../helpers/kernel-lines.js';

const mustRun = process.env.GPIO_AGGFS_VM === '1' || process.env.CI === 'true';
if (!existsSync('/dev/gpiochip0')) {
  if (mustRun) {
    t.fail('no /dev/gpiochip0: this suite needs the gpio-sim VM (bash test/vm/run.sh -- npx tap test/gpio/libgpiod-backend.test.ts)');
  } else {
    t.plan(0, 'no GPIO chips on this machine; run it in the VM: bash test/vm/run.sh -- npx tap test/gpio/libgpiod-backend.test.ts');
  }
} else {
  // Earlier test files may have left lines as outputs: start from the VM's initial state.
  resetKernelLines();
  suite(await openReal());
}

/** A backend on the real chips, by the library the daemon would choose. */
async function openReal(): Promise<Backend> {
  return (await openBackend({ gpioLibrary: process.env.GPIO_AGGFS_GPIO_LIBRARY })).backend;
}

/** This process's GPIO uAPI v2 line requests (libgpiod 2.x: one descriptor per request, edges included). */
function gpioLineFds(): Set<number> {
  const fds = new Set<number>();
  for (const entry of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${entry}`) === 'anon_inode:gpio-line') fds.add(Number(entry));
    } catch {
      // closed meanwhile
    }
  }
  return fds;
}

interface VmChip { name: string; label: string; lines: number; configfsDir: string; sysfsDir: string }

const CONSUMER = 'gpio-aggfs';
const INPUT: LineSettings = { direction: 'in', activeLow: false, bias: 'as-is', drive: 'push-pull', edge: 'none' };
const OUTPUT: LineSettings = { ...INPUT, direction: 'out' };

function vmChips(): VmChip[] {
  const file = process.env.GPIO_AGGFS_VM_CHIPS ?? '/run/gpio-aggfs-vm/chips.json';
  return (JSON.parse(readFileSync(file, 'utf8')) as { chips: VmChip[] }).chips;
}

function sysfs(chip: VmChip, offset: number, attr: 'pull' | 'value'): string {
  return `${chip.sysfsDir}/sim_gpio${offset}/${attr}`;
}
const simValue = (chip: VmChip, offset: number): string => readFileSync(sysfs(chip, offset, 'value'), 'utf8').trim();
const simPull = (chip: VmChip, offset: number): string => readFileSync(sysfs(chip, offset, 'pull'), 'utf8').trim();
const setPull = (chip: VmChip, offset: number, pull: 'pull-up' | 'pull-down'): void =>
  writeFileSync(sysfs(chip, offset, 'pull'), pull);

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The errno a libgpiod tool reported, or 'ok' when it succeeded. */
function toolErrno(cmd: string, args: string[]): string {
  try {
    execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return 'ok';
  } catch (err) {
    return errnoFromMessage(String((err as { stderr?: unknown }).stderr)) ?? 'unknown';
  }
}

function collect(handle: LineHandle): EdgeEvent[] {
  const events: EdgeEvent[] = [];
  handle.onEdge((e) => events.push(e));
  return events;
}

function suite(backend: Backend): void {
  const [chipA, chipB] = vmChips() as [VmChip, VmChip];
  t.teardown(() => backend.close());
  const caps = backend.capabilities;
  t.comment(`backend: ${backend.library}`);
  /**
   * uAPI v1 (libgpiod 1.6) holds a line with edges through a separate event
   * request: `v1` of them are expected. uAPI v2 changes edges in place: the
   * line's one request stays, so `held` requests exist, never more.
   */
  const eventRequests = (t: Test, v1: number, held: number, what: string): void => {
    if (caps.edgeInPlace) t.equal(gpioLineFds().size, held, `${what}: ${held} line request(s), edges in place`);
    else t.equal(gpioEventFds().size, v1, `${what}: ${v1} event request(s)`);
  };

  t.test('discovery: names, labels, paths, line names, in chip order', async (t) => {
    const chips = backend.listChips();
    t.same(chips.map((c) => [c.name, c.label, c.path, c.lines]), [
      ['gpiochip0', 'sim-a', '/dev/gpiochip0', 8],
      ['gpiochip1', 'sim-b', '/dev/gpiochip1', 16],
    ]);
    t.same(chips[0]!.lineNames, ['LED0', 'LED1', '', 'BUTTON', '', 'status led', '', '']);
    t.equal(chips[1]!.lineNames[2], 'RELAY');
    t.equal(chips[1]!.lineNames.length, 16);
    const info = backend.lineInfo('gpiochip0');
    t.equal(info.length, 8);
    for (const line of info) {
      const tool = gpioinfo('gpiochip0', line.offset);
      t.same([line.name, line.consumer, line.used, line.direction, line.activeLow],
        [tool.name, tool.consumer, tool.consumer !== '', tool.direction === 'output' ? 'out' : 'in', tool.activeLow],
        `line ${line.offset} as gpioinfo shows it`);
    }
    t.throws(() => backend.lineInfo('gpiochip9'), { code: 'ENOENT' });
  });

  t.test('request errors', async (t) => {
    t.throws(() => backend.request('gpiochip9', 0, CONSUMER), { code: 'ENOENT' });
    t.throws(() => backend.request('sim-a', 0, CONSUMER), { code: 'ENOENT' }, 'labels are resolved above the backend');
    t.throws(() => backend.request('gpiochip0', 8, CONSUMER), { code: 'EINVAL' });
    t.throws(() => backend.request('gpiochip0', -1, CONSUMER), { code: 'EINVAL' });
    const held = backend.request('gpiochip0', 0, CONSUMER);
    t.throws(() => backend.request('gpiochip0', 0, CONSUMER), { code: 'EBUSY' });
    held.release();
    held.release(); // idempotent
    t.throws(() => held.getValue(), { code: 'EBADF' });
    backend.request('gpiochip0', 0, CONSUMER).release();
  });

  t.test('as-is request of an input changes nothing; writing it is EPERM', async (t) => {
    setPull(chipA, 1, 'pull-up');
    const before = gpioinfo('gpiochip0', 1);
    const line = backend.request('gpiochip0', 1, CONSUMER);
    t.teardown(() => line.release());
    t.same(line.settings(), INPUT);
    t.same(gpioinfo('gpiochip0', 1), { ...before, consumer: CONSUMER });
    t.equal(simValue(chipA, 1), '1');
    t.equal(simPull(chipA, 1), 'pull-up');
    t.equal(line.getValue(), 1);
    t.throws(() => line.setValue(0), { code: 'EPERM' });
    t.equal(simValue(chipA, 1), '1');
  });

  t.test('as-is request of a line left as output by gpioset keeps it driven as it was', async (t) => {
    // With pull-up, gpio-sim's level after gpioset lets go is 1, so a request
    // that drove the default 0 would show.
    setPull(chipA, 2, 'pull-up');
    const { stop } = await holdWithGpioset('gpiochip0', 2, 0);
    t.equal(simValue(chipA, 2), '0', 'gpioset drives 0');
    await stop();
    const left = gpioinfo('gpiochip0', 2);
    t.same([left.direction, left.consumer], ['output', ''], 'gpioset leaves an unused output');
    const level = simValue(chipA, 2);
    t.comment(`gpio-sim level after gpioset let go: ${level}`);
    const line = backend.request('gpiochip0', 2, CONSUMER);
    t.equal(simValue(chipA, 2), level, 'level unchanged by the request');
    t.same(line.settings(), OUTPUT);
    t.equal(String(line.getValue()), level);
    t.same(gpioinfo('gpiochip0', 2), { ...left, consumer: CONSUMER });
    // Still an output we can drive through the as-is request.
    const other = level === '1' ? 0 : 1;
    line.setValue(other);
    t.equal(simValue(chipA, 2), String(other));
    line.setValue(level === '1' ? 1 : 0);
    t.equal(simValue(chipA, 2), level);
    line.release();
    t.equal(gpioinfo('gpiochip0', 2).consumer, '');
  });

  t.test('as-is request of a line left as output by a previous request', async (t) => {
    setPull(chipA, 5, 'pull-up');
    const first = backend.request('gpiochip0', 5, CONSUMER);
    first.configure(OUTPUT, 1);
    t.equal(simValue(chipA, 5), '1');
    first.release();
    const level = simValue(chipA, 5);
    t.equal(gpioinfo('gpiochip0', 5).direction, 'output');
    const second = backend.request('gpiochip0', 5, CONSUMER);
    t.teardown(() => second.release());
    t.equal(second.settings().direction, 'out');
    t.equal(simValue(chipA, 5), level);
    t.equal(gpioinfo('gpiochip0', 5).direction, 'output');
  });

  t.test('EBUSY both ways with the libgpiod tools', async (t) => {
    const line = backend.request('gpiochip0', 7, CONSUMER);
    t.equal(toolErrno('gpioget', gpiogetArgs('gpiochip0', 7)), 'EBUSY', 'gpioget refused while gpio-aggfs holds it');
    t.equal(toolErrno('gpioset', gpiosetOnceArgs('gpiochip0', 7, 1)), 'EBUSY', 'gpioset refused while gpio-aggfs holds it');
    line.release();
    t.equal(toolErrno('gpioget', gpiogetArgs('gpiochip0', 7)), 'ok', 'free again after release');
    const { stop } = await holdWithGpioset('gpiochip0', 7, 1);
    t.throws(() => backend.request('gpiochip0', 7, CONSUMER), { code: 'EBUSY' });
    await stop();
    backend.request('gpiochip0', 7, CONSUMER).release();
  });

  t.test('values, active-low and drive on an output', async (t) => {
    const line = backend.request('gpiochip0', 4, CONSUMER);
    t.teardown(() => line.release());
    line.configure(OUTPUT, 1);
    t.equal(simValue(chipA, 4), '1');
    t.equal(gpioinfo('gpiochip0', 4).direction, 'output');
    line.setValue(0);
    t.equal(simValue(chipA, 4), '0');
    t.equal(line.getValue(), 0);
    // Turning active-low on keeps the pin where it is; the logical value flips.
    line.configure({ ...OUTPUT, activeLow: true });
    t.equal(simValue(chipA, 4), '0');
    t.equal(line.getValue(), 1);
    t.ok(gpioinfo('gpiochip0', 4).activeLow);
    line.setValue(1);
    t.equal(simValue(chipA, 4), '0');
    line.setValue(0);
    t.equal(simValue(chipA, 4), '1');
    line.configure({ ...OUTPUT, activeLow: true }, 1);
    t.equal(simValue(chipA, 4), '0', 'outputValue is logical');
    line.configure({ ...OUTPUT, drive: 'open-drain' }, 0);
    t.equal(line.settings().drive, 'open-drain');
    t.equal(backend.lineInfo('gpiochip0')[4]!.drive, 'open-drain');
    t.equal(simValue(chipA, 4), '0');
    line.configure(INPUT);
    t.equal(gpioinfo('gpiochip0', 4).direction, 'input');
    t.throws(() => line.setValue(1), { code: 'EPERM' });
    t.same(line.settings(), INPUT);
  });

  t.test('bias changes gpio-sim\'s pull', async (t) => {
    setPull(chipA, 6, 'pull-down');
    const line = backend.request('gpiochip0', 6, CONSUMER);
    t.teardown(() => line.release());
    line.configure({ ...INPUT, bias: 'pull-up' });
    t.equal(simPull(chipA, 6), 'pull-up');
    t.equal(simValue(chipA, 6), '1');
    t.equal(line.getValue(), 1);
    t.equal(backend.lineInfo('gpiochip0')[6]!.bias, 'pull-up');
    line.configure({ ...INPUT, bias: 'pull-down' });
    t.equal(simPull(chipA, 6), 'pull-down');
    t.equal(line.getValue(), 0);
    line.configure({ ...INPUT, bias: 'pull-up', activeLow: true });
    t.equal(line.getValue(), 0, 'active-low input reads inverted');
  });

  t.test('edge events in order with kernel timestamps; edge switching keeps the line held', async (t) => {
    const off = 3;
    setPull(chipB, off, 'pull-down');
    const line = backend.request('gpiochip1', off, CONSUMER);
    t.teardown(() => line.release());
    const events = collect(line);
    const held = (): void => {
      t.equal(gpioinfo('gpiochip1', off).consumer, CONSUMER, 'still held by gpio-aggfs');
    };

    t.throws(() => line.configure({ ...OUTPUT, edge: 'both' }), { code: 'EINVAL' });
    t.same(line.settings(), INPUT, 'a rejected configure changes nothing');

    line.configure({ ...INPUT, edge: 'both' });
    held();
    eventRequests(t, 1, 1, 'edge both');
    // One toggle at a time: gpio-sim raises its simulated interrupt from a
    // work item, so toggles written faster than it runs coalesce into one.
    for (const pull of ['pull-up', 'pull-down', 'pull-up'] as const) {
      const n = events.length + 1;
      setPull(chipB, off, pull);
      await until(`edge ${n}`, () => events.length >= n);
    }
    t.same(events.map((e) => e.type), ['rising', 'falling', 'rising']);
    t.ok(events[0]!.timestampNs > 0n && events[0]!.timestampNs < events[1]!.timestampNs
      && events[1]!.timestampNs < events[2]!.timestampNs, 'timestamps increase');
    t.equal(line.getValue(), 1, 'values readable on an event request');

    events.length = 0;
    line.configure({ ...INPUT, edge: 'falling' });
    held();
    setPull(chipB, off, 'pull-down');
    await until('a falling edge', () => events.length >= 1);
    setPull(chipB, off, 'pull-up');
    setPull(chipB, off, 'pull-down');
    await until('two falling edges', () => events.length >= 2);
    await sleep(200);
    t.same(events.map((e) => e.type), ['falling', 'falling'], 'only falling edges');

    events.length = 0;
    line.configure({ ...INPUT, edge: 'rising', activeLow: true });
    held();
    t.ok(gpioinfo('gpiochip1', off).activeLow);
    setPull(chipB, off, 'pull-up'); // physical rise = logical fall: not reported
    setPull(chipB, off, 'pull-down'); // physical fall = logical rise
    await until('a logical rising edge', () => events.length >= 1);
    await sleep(200);
    t.same(events.map((e) => e.type), ['rising']);

    events.length = 0;
    line.configure({ ...INPUT, edge: 'none' });
    held();
    eventRequests(t, 0, 1, 'edge none');
    setPull(chipB, off, 'pull-up');
    setPull(chipB, off, 'pull-down');
    await sleep(300);
    t.same(events, [], 'nothing delivered with edge none');

    // And back, then to an output (edge none) without letting go.
    line.configure({ ...INPUT, edge: 'both' });
    setPull(chipB, off, 'pull-up');
    await until('an edge after re-enabling', () => events.length >= 1);
    line.configure(OUTPUT, 1);
    held();
    t.equal(gpioinfo('gpiochip1', off).direction, 'output');
    t.equal(simValue(chipB, off), '1');
    eventRequests(t, 0, 1, 'output');
  });

  // libgpiod 2.x's errno mapping is tested with its FFI (test/gpio/libgpiod2-ffi.test.ts).
  if (backend.libraryGeneration === '1') t.test('errors from node-libgpiod keep their errno; "not supported" in every spelling is EOPNOTSUPP', async (t) => {
    // gpio-sim accepts every bias and drive, so the chip-refuses path is checked on the mapping.
    // Loaded here: the 1.6 module needs node-libgpiod, which a libgpiod 2.x system does not have.
    const { libgpiodError } = await import('../../lib/gpio/libgpiod1-line.js');
    for (const code of ['ENOTSUP', 'ENOTSUPP', 'EOPNOTSUPP']) {
      t.equal(libgpiodError(Object.assign(new Error(code), { code }), 'x').code, 'EOPNOTSUPP', code);
    }
    t.equal(libgpiodError(Object.assign(new Error('524'), { errno: 524, code: '' }), 'x').code, 'EOPNOTSUPP', 'kernel ENOTSUPP 524');
    t.equal(libgpiodError(Object.assign(new Error('busy'), { code: 'EBUSY' }), 'x').code, 'EBUSY');
    t.equal(libgpiodError(Object.assign(new Error('gone'), { code: 'ENODEV' }), 'x').code, 'ENODEV');
    t.equal(libgpiodError(new Error('no code'), 'x').code, 'EIO');
  });

  t.test('switching edges while edges keep coming never blocks or loses the line', async (t) => {
    const off = 5;
    const line = backend.request('gpiochip1', off, CONSUMER);
    t.teardown(() => line.release());
    const events = collect(line);
    const edges = ['both', 'rising', 'falling', 'both'] as const;
    for (let i = 0; i < 24; i++) {
      line.configure({ ...INPUT, edge: edges[i % edges.length]! });
      setPull(chipB, off, i % 2 ? 'pull-down' : 'pull-up');
      // Let the epoll thread pick an event up before the next switch.
      await sleep(i % 3 === 0 ? 0 : 5);
    }
    // A fresh request: whatever the old ones still had queued is not its to deliver.
    line.configure({ ...INPUT, edge: 'none' });
    line.configure({ ...INPUT, edge: 'both' });
    t.equal(gpioinfo('gpiochip1', off).consumer, CONSUMER);
    eventRequests(t, 1, 1, 'after the switching');
    const seen = events.length;
    setPull(chipB, off, 'pull-up');
    await until('a rising edge on the final request', () => events.length >= seen + 1);
    setPull(chipB, off, 'pull-down');
    await until('a falling edge on the final request', () => events.length >= seen + 2);
    t.same(events.slice(seen).map((e) => e.type), ['rising', 'falling']);
  });

  t.test('close releases every line', async (t) => {
    const other = await openReal();
    other.request('gpiochip1', 10, CONSUMER);
    const edged = other.request('gpiochip1', 11, CONSUMER);
    edged.configure({ ...INPUT, edge: 'both' });
    t.equal(gpioinfo('gpiochip1', 11).consumer, CONSUMER);
    other.close();
    t.equal(gpioinfo('gpiochip1', 10).consumer, '');
    t.equal(gpioinfo('gpiochip1', 11).consumer, '');
    eventRequests(t, 0, 0, 'after close');
    t.throws(() => other.request('gpiochip1', 10, CONSUMER), { code: 'EBADF' });
    other.close();
  });

  t.test('chip removal: ENODEV/EIO, release still works', async (t) => {
    // A chip of its own: the board's chips stay for the test files that follow.
    const chip = createRemovableChip('removable-backend', 16, 'sim-removable');
    t.teardown(() => chip.destroy());
    const removable = chip.name;
    const plain = backend.request(removable, 9, CONSUMER);
    plain.configure(OUTPUT, 1);
    const edged = backend.request(removable, 12, CONSUMER);
    edged.configure({ ...INPUT, edge: 'both' });
    chip.remove();
    await until(`${removable} to go`, () => !existsSync(`/dev/${removable}`));
    const gone = { code: /^(ENODEV|EIO)$/ };
    t.throws(() => plain.getValue(), gone);
    t.throws(() => plain.setValue(0), gone);
    t.throws(() => plain.configure(INPUT), gone);
    t.throws(() => edged.getValue(), gone);
    t.throws(() => edged.configure({ ...INPUT, edge: 'rising' }), gone);
    plain.release();
    edged.release();
    t.same(backend.listChips().map((c) => c.name), ['gpiochip0', 'gpiochip1']);
    t.throws(() => backend.request(removable, 0, CONSUMER), { code: 'ENOENT' });
  });
}
