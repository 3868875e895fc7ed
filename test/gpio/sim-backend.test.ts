import t from 'tap';
import type { Bias, Bit, Direction, Drive, Edge, EdgeEvent, LineHandle, LineSettings } from '../../lib/gpio/backend.js';
import { parseBoard } from '../../lib/gpio/board.js';
import { SimBackend } from '../../lib/gpio/sim-backend.js';
import type { Pull } from '../../lib/gpio/sim-line.js';

const BOARD = parseBoard({
  chips: [
    { label: 'sim-a', lines: 8, names: { 0: 'LED0', 3: 'BUTTON' } },
    { label: 'sim-b', lines: 16 },
    { label: 'no-bias', lines: 4, bias: false },
  ],
}, 'test-board');

const CONSUMER = 'gpio-aggfs';

const INPUT: LineSettings = { direction: 'in', activeLow: false, bias: 'as-is', drive: 'push-pull', edge: 'none' };
const OUTPUT: LineSettings = { ...INPUT, direction: 'out' };

function settings(overrides: Partial<LineSettings>): LineSettings {
  return { ...INPUT, ...overrides };
}

/** Lets queued edge events reach their listeners. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function record(handle: LineHandle): EdgeEvent[] {
  const events: EdgeEvent[] = [];
  handle.onEdge((event) => events.push(event));
  return events;
}

function types(events: EdgeEvent[]): string[] {
  return events.map((event) => event.type);
}

t.test('lists the board chips in file order', async (t) => {
  const sim = new SimBackend(BOARD);
  t.equal(sim.kind, 'sim');
  t.same(sim.listChips().map((chip) => [chip.name, chip.label, chip.path, chip.lines]), [
    ['gpiochip0', 'sim-a', '/dev/gpiochip0', 8],
    ['gpiochip1', 'sim-b', '/dev/gpiochip1', 16],
    ['gpiochip2', 'no-bias', '/dev/gpiochip2', 4],
  ]);
  t.same(sim.listChips()[0]?.lineNames, ['LED0', '', '', 'BUTTON', '', '', '', '']);
});

t.test('lineInfo shows fresh lines as free inputs, pulled down', async (t) => {
  const sim = new SimBackend(BOARD);
  const info = sim.lineInfo('gpiochip0');
  t.equal(info.length, 8);
  t.same(info[3], {
    offset: 3, name: 'BUTTON', consumer: '', used: false,
    direction: 'in', activeLow: false, bias: 'as-is', drive: 'push-pull',
  });
  t.equal(sim.pull('gpiochip0', 3), 'pull-down');
  t.equal(sim.level('gpiochip0', 3), 0);
  t.throws(() => sim.lineInfo('gpiochip9'), { code: 'ENOENT' });
  t.throws(() => sim.lineInfo('sim-a'), { code: 'ENOENT' }, 'chips are looked up by name, not label');
});

t.test('request errors', async (t) => {
  const sim = new SimBackend(BOARD);
  t.throws(() => sim.request('gpiochip7', 0, CONSUMER), { name: 'GpioAggError', code: 'ENOENT' });
  t.throws(() => sim.request('gpiochip0', 8, CONSUMER), { code: 'EINVAL' });
  t.throws(() => sim.request('gpiochip0', -1, CONSUMER), { code: 'EINVAL' });
  t.throws(() => sim.request('gpiochip0', 1.5, CONSUMER), { code: 'EINVAL' });

  const held = sim.request('gpiochip0', 2, CONSUMER);
  t.throws(() => sim.request('gpiochip0', 2, CONSUMER), { code: 'EBUSY' });
  t.throws(() => sim.request('gpiochip0', 2, 'someone-else'), { code: 'EBUSY' });
  t.match(sim.lineInfo('gpiochip0')[2], { used: true, consumer: CONSUMER });

  held.release();
  t.match(sim.lineInfo('gpiochip0')[2], { used: false, consumer: '' });
  const again = sim.request('gpiochip0', 2, 'someone-else');
  t.equal(sim.lineInfo('gpiochip0')[2]?.consumer, 'someone-else');
  again.release();
});

t.test('consumer labels follow the kernel: "?" when empty, 31 bytes at most', async (t) => {
  const sim = new SimBackend(BOARD);
  sim.request('gpiochip1', 0, '');
  sim.request('gpiochip1', 1, 'x'.repeat(40));
  sim.request('gpiochip1', 2, 'é'.repeat(20));
  const info = sim.lineInfo('gpiochip1');
  t.equal(info[0]?.consumer, '?');
  t.equal(info[1]?.consumer, 'x'.repeat(31));
  t.equal(info[2]?.consumer, 'é'.repeat(15));
});

t.test('requesting as is changes nothing', async (t) => {
  const sim = new SimBackend(BOARD);
  sim.setPull('gpiochip0', 1, 'pull-up');
  const input = sim.request('gpiochip0', 1, CONSUMER);
  t.same(input.settings(), INPUT);
  t.equal(input.getValue(), 1);
  t.equal(sim.level('gpiochip0', 1), 1);
  t.equal(sim.pull('gpiochip0', 1), 'pull-up');

  const output = sim.request('gpiochip0', 2, CONSUMER);
  output.configure(OUTPUT, 1);
  output.release();
  // gpio-sim's free callback puts the value back to the pull; the direction stays.
  t.equal(sim.level('gpiochip0', 2), 0);
  t.match(sim.lineInfo('gpiochip0')[2], { direction: 'out', used: false });

  const again = sim.request('gpiochip0', 2, CONSUMER);
  t.same(again.settings(), OUTPUT);
  t.equal(again.getValue(), 0);
  t.equal(sim.level('gpiochip0', 2), 0);
  t.equal(sim.pull('gpiochip0', 2), 'pull-down');
});

t.test('outputs drive their value; inputs refuse setValue', async (t) => {
  const sim = new SimBackend(BOARD);
  const line = sim.request('gpiochip0', 0, CONSUMER);
  t.throws(() => line.setValue(1), { code: 'EPERM' }, 'as-is request of an input');
  line.configure(INPUT);
  t.throws(() => line.setValue(0), { code: 'EPERM' });

  line.configure(OUTPUT);
  t.equal(line.getValue(), 0, 'outputValue defaults to 0');
  line.setValue(1);
  t.equal(line.getValue(), 1);
  t.equal(sim.level('gpiochip0', 0), 1);
  t.throws(() => line.setValue(2 as Bit), { code: 'EINVAL' });
  t.equal(sim.level('gpiochip0', 0), 1);

  line.configure(OUTPUT, 0);
  t.equal(sim.level('gpiochip0', 0), 0);
  t.match(sim.lineInfo('gpiochip0')[0], { direction: 'out', used: true });
});

t.test('active-low inverts reads and writes', async (t) => {
  const sim = new SimBackend(BOARD);
  const line = sim.request('gpiochip0', 4, CONSUMER);
  line.configure(settings({ activeLow: true }));
  t.equal(line.getValue(), 1, 'pulled down reads as active');
  sim.setPull('gpiochip0', 4, 'pull-up');
  t.equal(line.getValue(), 0);

  line.configure(settings({ direction: 'out', activeLow: true }), 1);
  t.equal(sim.level('gpiochip0', 4), 0, 'logical 1 drives low');
  t.equal(line.getValue(), 1);
  line.setValue(0);
  t.equal(sim.level('gpiochip0', 4), 1);
  t.equal(line.getValue(), 0);
  t.match(sim.lineInfo('gpiochip0')[4], { activeLow: true });

  line.release();
  t.match(sim.lineInfo('gpiochip0')[4], { activeLow: false }, 'active-low is a request flag');
});

t.test('bias pull-up/pull-down set the simulated pull; disable and as-is leave it', async (t) => {
  const sim = new SimBackend(BOARD);
  const line = sim.request('gpiochip1', 5, CONSUMER);
  line.configure(settings({ bias: 'pull-up' }));
  t.equal(sim.pull('gpiochip1', 5), 'pull-up');
  t.equal(sim.level('gpiochip1', 5), 1);
  t.equal(line.getValue(), 1);
  t.match(sim.lineInfo('gpiochip1')[5], { bias: 'pull-up' });

  line.configure(settings({ bias: 'disable' }));
  t.equal(sim.pull('gpiochip1', 5), 'pull-up');
  line.configure(settings({ bias: 'as-is' }));
  t.equal(sim.pull('gpiochip1', 5), 'pull-up');
  t.equal(line.getValue(), 1);

  line.configure(settings({ bias: 'pull-down' }));
  t.equal(sim.level('gpiochip1', 5), 0);

  line.configure(settings({ direction: 'out', bias: 'pull-up' }), 0);
  t.equal(sim.pull('gpiochip1', 5), 'pull-up', 'the pull changes under an output too');
  t.equal(sim.level('gpiochip1', 5), 0, 'but the output keeps driving');
  sim.setPull('gpiochip1', 5, 'pull-down');
  t.equal(sim.level('gpiochip1', 5), 0);
  sim.setPull('gpiochip1', 5, 'pull-up');
  t.equal(sim.level('gpiochip1', 5), 0, 'a requested output ignores the pull');

  line.release();
  t.equal(sim.level('gpiochip1', 5), 1, 'released: back to the pull');
  t.match(sim.lineInfo('gpiochip1')[5], { bias: 'as-is', drive: 'push-pull' });
});

t.test('a chip without bias support refuses every bias but as-is', async (t) => {
  const sim = new SimBackend(BOARD);
  const line = sim.request('gpiochip2', 1, CONSUMER);
  for (const bias of ['pull-up', 'pull-down', 'disable'] as const) {
    t.throws(() => line.configure(settings({ bias })), { code: 'EOPNOTSUPP' }, bias);
    t.throws(() => line.configure(settings({ direction: 'out', bias }), 1), { code: 'EOPNOTSUPP' }, `${bias} on output`);
  }
  t.same(line.settings(), INPUT);
  t.equal(sim.level('gpiochip2', 1), 0);
  t.equal(sim.pull('gpiochip2', 1), 'pull-down');
  line.configure(settings({ direction: 'out', drive: 'open-drain' }), 0);
  t.equal(line.settings().drive, 'open-drain', 'drive modes are emulated, never refused');
});

t.test('open drain and open source release the line instead of driving it', async (t) => {
  const sim = new SimBackend(BOARD);
  const drain = sim.request('gpiochip1', 0, CONSUMER);
  drain.configure(settings({ direction: 'out', drive: 'open-drain' }), 1);
  t.equal(sim.level('gpiochip1', 0), 0, 'released: the pull-down wins');
  t.match(sim.lineInfo('gpiochip1')[0], { direction: 'out', drive: 'open-drain' });
  drain.setValue(0);
  t.equal(sim.level('gpiochip1', 0), 0);
  t.equal(drain.getValue(), 0);

  sim.setPull('gpiochip1', 1, 'pull-up');
  const pulledUp = sim.request('gpiochip1', 1, CONSUMER);
  pulledUp.configure(settings({ direction: 'out', drive: 'open-drain' }), 1);
  t.equal(sim.level('gpiochip1', 1), 1, 'released: the pull-up wins');
  t.equal(pulledUp.getValue(), 1);
  pulledUp.setValue(0);
  t.equal(sim.level('gpiochip1', 1), 0, 'driven low');
  // gpio-sim's direction_input() keeps the last value bit: releasing an
  // open-drain line that drove low does not bring the pull back by itself.
  pulledUp.setValue(1);
  t.equal(sim.level('gpiochip1', 1), 0);
  // ... but a bias, applied by gpiolib while the line is briefly an input, does.
  pulledUp.configure(settings({ direction: 'out', drive: 'open-drain', bias: 'pull-up' }), 1);
  t.equal(sim.level('gpiochip1', 1), 1);

  const source = sim.request('gpiochip1', 2, CONSUMER);
  source.configure(settings({ direction: 'out', drive: 'open-source' }), 1);
  t.equal(sim.level('gpiochip1', 2), 1, 'driven high');
  source.configure(settings({ direction: 'out', drive: 'open-source', bias: 'pull-down' }), 0);
  t.equal(sim.level('gpiochip1', 2), 0, 'released onto the pull-down');
  t.equal(source.settings().direction, 'out');
  source.setValue(1);
  t.equal(sim.level('gpiochip1', 2), 1);
  source.setValue(0);
  t.equal(sim.level('gpiochip1', 2), 1, 'released again, the last value bit stays (gpio-sim)');
  t.equal(source.getValue(), 1);
});

t.test('switching an output to input keeps the driven value until the pull is applied (gpio-sim)', async (t) => {
  const sim = new SimBackend(BOARD);
  const line = sim.request('gpiochip1', 3, CONSUMER);
  line.configure(OUTPUT, 1);
  line.configure(INPUT);
  t.equal(sim.level('gpiochip1', 3), 1);
  t.equal(line.getValue(), 1);
  sim.setPull('gpiochip1', 3, 'pull-down');
  t.equal(sim.level('gpiochip1', 3), 0, 'writing the pull drives the input again');

  line.configure(OUTPUT, 1);
  line.configure(settings({ bias: 'pull-down' }));
  t.equal(sim.level('gpiochip1', 3), 0, 'an explicit bias is applied when the line turns input');
});

t.test('edge events: filtering, order, type and timestamps', async (t) => {
  const sim = new SimBackend(BOARD);
  const toggle = async (chip: string, offset: number, pulls: Pull[]): Promise<void> => {
    for (const pull of pulls) sim.setPull(chip, offset, pull);
    await settle();
  };
  const sequence: Pull[] = ['pull-up', 'pull-down', 'pull-up', 'pull-up', 'pull-down'];

  const cases: Array<[Edge, boolean, string[]]> = [
    ['both', false, ['rising', 'falling', 'rising', 'falling']],
    ['rising', false, ['rising', 'rising']],
    ['falling', false, ['falling', 'falling']],
    ['none', false, []],
    // Active-low: a physical falling edge is a logical rising one.
    ['both', true, ['falling', 'rising', 'falling', 'rising']],
    ['rising', true, ['rising', 'rising']],
    ['falling', true, ['falling', 'falling']],
    ['none', true, []],
  ];
  for (const [offset, [edge, activeLow, expected]] of cases.entries()) {
    const line = sim.request('gpiochip1', offset, CONSUMER);
    line.configure(settings({ edge, activeLow }));
    const events = record(line);
    await toggle('gpiochip1', offset, sequence);
    t.same(types(events), expected, `edge ${edge}${activeLow ? ', active-low' : ''}`);
    t.same(line.settings(), settings({ edge, activeLow }));
  }

  const line = sim.request('gpiochip1', 10, CONSUMER);
  line.configure(settings({ edge: 'both' }));
  const events = record(line);
  const before = process.hrtime.bigint();
  await toggle('gpiochip1', 10, ['pull-up', 'pull-down', 'pull-up']);
  const after = process.hrtime.bigint();
  t.equal(events.length, 3);
  const stamps = events.map((event) => event.timestampNs);
  t.ok(stamps.every((stamp) => stamp >= before && stamp <= after), 'monotonic clock of the change');
  t.ok(stamps[0]! < stamps[1]! && stamps[1]! < stamps[2]!, 'increasing');
});

t.test('edge events are delivered asynchronously, in order, to every listener', async (t) => {
  const sim = new SimBackend(BOARD);
  const line = sim.request('gpiochip0', 3, CONSUMER);
  line.configure(settings({ edge: 'both' }));
  const seen: string[] = [];
  line.onEdge((event) => seen.push(`a:${event.type}`));
  const unsubscribeB = line.onEdge((event) => seen.push(`b:${event.type}`));
  sim.setPull('gpiochip0', 3, 'pull-up');
  sim.setPull('gpiochip0', 3, 'pull-down');
  t.same(seen, [], 'nothing delivered before setPull returns');
  await settle();
  t.same(seen, ['a:rising', 'b:rising', 'a:falling', 'b:falling']);

  unsubscribeB();
  sim.setPull('gpiochip0', 3, 'pull-up');
  await settle();
  t.same(seen.slice(4), ['a:rising']);
});

t.test('bias changes raise edges under the edge detection already in place', async (t) => {
  const sim = new SimBackend(BOARD);
  const line = sim.request('gpiochip0', 5, CONSUMER);
  line.configure(settings({ edge: 'rising' }));
  const events = record(line);
  line.configure(settings({ edge: 'rising', bias: 'pull-up' }));
  line.configure(settings({ edge: 'rising', bias: 'pull-down' }));
  await settle();
  t.same(types(events), ['rising']);

  line.configure(settings({ edge: 'none' }));
  line.configure(settings({ edge: 'both', bias: 'pull-up' }));
  await settle();
  t.same(types(events), ['rising'], 'no edge from a bias applied while edges were off');
  t.equal(sim.level('gpiochip0', 5), 1);

  line.configure(settings({ edge: 'none' }));
  sim.setPull('gpiochip0', 5, 'pull-down');
  await settle();
  t.same(types(events), ['rising'], 'edge none: nothing');
});

t.test('no events for outputs', async (t) => {
  const sim = new SimBackend(BOARD);
  const line = sim.request('gpiochip0', 6, CONSUMER);
  line.configure(settings({ edge: 'both' }));
  const events = record(line);
  line.configure(OUTPUT, 0);
  t.equal(line.settings().edge, 'none');
  sim.setPull('gpiochip0', 6, 'pull-up');
  sim.setPull('gpiochip0', 6, 'pull-down');
  line.configure(settings({ direction: 'out', drive: 'open-drain' }), 1);
  sim.setPull('gpiochip0', 6, 'pull-up');
  await settle();
  t.same(events, []);
});

t.test('no events after release, not even ones already queued', async (t) => {
  const sim = new SimBackend(BOARD);
  const line = sim.request('gpiochip0', 7, CONSUMER);
  line.configure(settings({ edge: 'both' }));
  const events = record(line);
  sim.setPull('gpiochip0', 7, 'pull-up');
  line.release();
  sim.setPull('gpiochip0', 7, 'pull-down');
  await settle();
  t.same(events, []);
  t.same(record(line), [], 'subscribing to a released line is harmless');

  const next = sim.request('gpiochip0', 7, CONSUMER);
  t.equal(next.settings().edge, 'none', 'edge detection ends with the request');
  const nextEvents = record(next);
  sim.setPull('gpiochip0', 7, 'pull-up');
  await settle();
  t.same(nextEvents, []);
});

t.test('a rejected configure changes nothing', async (t) => {
  const sim = new SimBackend(BOARD);
  const line = sim.request('gpiochip1', 7, CONSUMER);
  const current = settings({ direction: 'out', activeLow: true, bias: 'pull-up', drive: 'push-pull' });
  line.configure(current, 1);
  const check = (what: string): void => {
    t.same(line.settings(), current, `${what}: settings kept`);
    t.equal(line.getValue(), 1, `${what}: value kept`);
    t.equal(sim.level('gpiochip1', 7), 0, `${what}: level kept`);
    t.equal(sim.pull('gpiochip1', 7), 'pull-up', `${what}: pull kept`);
  };

  t.throws(() => line.configure(settings({ direction: 'out', edge: 'rising', bias: 'pull-down' }), 0), { code: 'EINVAL' });
  check('edge on an output');
  t.throws(() => line.configure(settings({ drive: 'open-drain', bias: 'pull-down' })), { code: 'EINVAL' });
  check('drive mode on an input');
  t.throws(() => line.configure(settings({ direction: 'sideways' as Direction })), { code: 'EINVAL' });
  t.throws(() => line.configure(settings({ bias: 'pull-sideways' as Bias })), { code: 'EINVAL' });
  t.throws(() => line.configure(settings({ drive: 'tri-state' as Drive })), { code: 'EINVAL' });
  t.throws(() => line.configure(settings({ edge: 'any' as Edge })), { code: 'EINVAL' });
  t.throws(() => line.configure(OUTPUT, 3 as Bit), { code: 'EINVAL' });
  check('unknown words');

  const other = sim.request('gpiochip2', 0, CONSUMER);
  other.configure(OUTPUT, 1);
  t.throws(() => other.configure(settings({ activeLow: true, bias: 'pull-up' })), { code: 'EOPNOTSUPP' });
  t.same(other.settings(), OUTPUT);
  t.equal(sim.level('gpiochip2', 0), 1);
});

t.test('a released handle refuses further use', async (t) => {
  const sim = new SimBackend(BOARD);
  const line = sim.request('gpiochip0', 1, CONSUMER);
  line.configure(OUTPUT, 1);
  line.release();
  line.release();
  t.throws(() => line.getValue(), { code: 'EPERM' });
  t.throws(() => line.setValue(1), { code: 'EPERM' });
  t.throws(() => line.configure(INPUT), { code: 'EPERM' });
  t.same(line.settings(), OUTPUT, 'settings as they were when released');
  t.equal(line.chip.name, 'gpiochip0');
  t.equal(line.offset, 1);
});

t.test('removing a chip', async (t) => {
  const sim = new SimBackend(BOARD);
  const line = sim.request('gpiochip1', 4, CONSUMER);
  line.configure(settings({ edge: 'both' }));
  const events = record(line);
  const survivor = sim.request('gpiochip0', 4, CONSUMER);
  sim.setPull('gpiochip1', 4, 'pull-up');

  sim.removeChip('gpiochip1');
  await settle();
  t.same(events, [], 'queued events are dropped with the chip');
  t.same(sim.listChips().map((chip) => chip.name), ['gpiochip0', 'gpiochip2'], 'others keep their names');
  t.throws(() => line.getValue(), { code: 'ENODEV' });
  t.throws(() => line.setValue(1), { code: 'ENODEV' });
  t.throws(() => line.configure(INPUT), { code: 'ENODEV' });
  t.same(record(line), []);
  t.throws(() => sim.lineInfo('gpiochip1'), { code: 'ENOENT' });
  t.throws(() => sim.request('gpiochip1', 0, CONSUMER), { code: 'ENOENT' });
  t.throws(() => sim.setPull('gpiochip1', 4, 'pull-down'), { code: 'ENOENT' });
  t.throws(() => sim.level('gpiochip1', 4), { code: 'ENOENT' });
  t.throws(() => sim.removeChip('gpiochip1'), { code: 'ENOENT' });
  line.release();
  t.throws(() => line.getValue(), { code: 'EPERM' });

  t.equal(survivor.getValue(), 0);
  survivor.release();
});

t.test('control API errors', async (t) => {
  const sim = new SimBackend(BOARD);
  t.throws(() => sim.setPull('gpiochip5', 0, 'pull-up'), { code: 'ENOENT' });
  t.throws(() => sim.setPull('gpiochip0', 8, 'pull-up'), { code: 'EINVAL' });
  t.throws(() => sim.setPull('gpiochip0', 0, 'up' as Pull), { code: 'EINVAL' });
  t.throws(() => sim.pull('gpiochip5', 0), { code: 'ENOENT' });
  t.throws(() => sim.pull('gpiochip0', -1), { code: 'EINVAL' });
  t.throws(() => sim.level('gpiochip5', 0), { code: 'ENOENT' });
  t.throws(() => sim.level('gpiochip0', 99), { code: 'EINVAL' });
  t.throws(() => sim.removeChip('gpiochip5'), { code: 'ENOENT' });
  t.equal(sim.pull('gpiochip0', 0), 'pull-down', 'a refused pull word changes nothing');
});

t.test('close releases every line', async (t) => {
  const sim = new SimBackend(BOARD);
  const a = sim.request('gpiochip0', 0, CONSUMER);
  sim.request('gpiochip1', 15, CONSUMER).configure(OUTPUT, 1);
  sim.close();
  t.notOk(sim.lineInfo('gpiochip0')[0]?.used);
  t.notOk(sim.lineInfo('gpiochip1')[15]?.used);
  t.equal(sim.level('gpiochip1', 15), 0);
  t.throws(() => a.getValue(), { code: 'EPERM' });
  sim.request('gpiochip0', 0, CONSUMER).release();
});

t.test('two backends are independent', async (t) => {
  const one = new SimBackend(BOARD);
  const two = new SimBackend(BOARD);
  const line = one.request('gpiochip0', 0, CONSUMER);
  one.setPull('gpiochip0', 1, 'pull-up');
  one.removeChip('gpiochip2');
  t.notOk(two.lineInfo('gpiochip0')[0]?.used);
  two.request('gpiochip0', 0, CONSUMER).release();
  t.equal(two.pull('gpiochip0', 1), 'pull-down');
  t.equal(two.listChips().length, 3);
  line.release();
});
