// Debounce and the capability table on the simulated backend, in both of its
// modes: libgpiod 2.x semantics (uAPI v2: debounce) and 1.6 (none). The same
// rules hold against the kernel (test/gpio/libgpiod2-backend.test.ts, VM).
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { AggregatedLine } from '../../lib/aggregator/aggregated-line.js';
import { CAPABILITIES, type EdgeEvent } from '../../lib/gpio/backend.js';
import { parseBoard } from '../../lib/gpio/board.js';
import { gpioLibraryChoice } from '../../lib/gpio/gpio-library.js';
import { droppedBetween } from '../../lib/gpio/libgpiod2-event-reader.js';
import { SimBackend } from '../../lib/gpio/sim-backend.js';
import { EventHistory } from '../../lib/fs/event-history.js';

const BOARD = parseBoard({ chips: [{ label: 'sim-a', lines: 8 }] }, 'test-board');
const PERIOD_US = 20_000;

function errno(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

for (const generation of ['1', '2'] as const) {
  const capabilities = CAPABILITIES[generation];
  t.test(`simulated libgpiod ${generation}: capabilities ${JSON.stringify(capabilities)}`, async (t) => {
    const sim = new SimBackend(BOARD, { library: generation });
    t.teardown(() => sim.close());
    t.same(sim.capabilities, capabilities);
    t.equal(sim.libraryGeneration, generation);
    t.match(sim.library, generation === '2' ? /libgpiod 2\.x/ : /libgpiod 1\.6/);
    const line = new AggregatedLine(sim.request('gpiochip0', 1, 'gpio-aggfs'), sim.capabilities);
    t.equal(line.debounceUs(), 0, 'debounce_us reads 0 at first');

    if (!capabilities.debounce) {
      for (const text of ['1000\n', '0\n']) {
        t.equal(errno(() => line.writeDebounce(text)), 'EOPNOTSUPP', `${JSON.stringify(text)} is EOPNOTSUPP without uAPI v2`);
      }
      t.equal(errno(() => line.handle.configure({ ...line.handle.settings(), debounceUs: 1000 })), 'EOPNOTSUPP',
        'the backend refuses a debounce too');
      t.equal(line.debounceUs(), 0);
      return;
    }

    t.equal(errno(() => line.writeDebounce('abc')), 'EINVAL');
    t.equal(errno(() => line.writeDebounce('-1')), 'EINVAL');
    t.equal(errno(() => line.writeDebounce('4294967296')), 'EINVAL', 'more than the uAPI\'s __u32');
    t.equal(line.debounceUs(), 0, 'rejected writes change nothing');

    line.writeEdge('both');
    line.writeDebounce(`${PERIOD_US}\n`);
    t.equal(line.debounceUs(), PERIOD_US);
    t.equal(line.edge(), 'both', 'the edge stays');
    const events: EdgeEvent[] = [];
    line.onEdge((event) => events.push(event));

    // A burst of pulls, each far shorter than the period, ending high: one rising edge.
    for (let i = 0; i < 5; i++) {
      sim.setPull('gpiochip0', 1, 'pull-up');
      sim.setPull('gpiochip0', 1, 'pull-down');
    }
    sim.setPull('gpiochip0', 1, 'pull-up');
    await sleep((PERIOD_US / 1000) * 4);
    t.same(events.map((e) => e.type), ['rising'], 'the burst gives one edge once the level is stable');
    // A burst that ends where it started gives nothing.
    sim.setPull('gpiochip0', 1, 'pull-down');
    sim.setPull('gpiochip0', 1, 'pull-up');
    await sleep((PERIOD_US / 1000) * 4);
    t.equal(events.length, 1, 'a pulse shorter than the period is filtered out');

    t.equal(errno(() => line.writeDirection('out')), 'EIO', 'no output while edge is set');
    line.writeEdge('none');
    t.equal(errno(() => line.writeDirection('out')), 'EIO', 'no output while debounced (as with edge)');
    line.writeDebounce('0');
    t.notOk('debounceUs' in line.handle.settings(), 'debounce 0 is left out of the settings');
    line.writeDebounce('0');
    line.writeDirection('out');
    t.equal(errno(() => line.writeDebounce('1000')), 'EIO', 'EIO on an output');
    t.equal(line.debounceUs(), 0);
    line.writeDebounce('0');

    // Without a debounce every change is an edge (the input keeps the driven 0 until the pull changes).
    line.writeDirection('in');
    line.writeEdge('both');
    events.length = 0;
    sim.setPull('gpiochip0', 1, 'pull-down');
    sim.setPull('gpiochip0', 1, 'pull-up');
    sim.setPull('gpiochip0', 1, 'pull-down');
    await sleep(10);
    t.same(events.map((e) => e.type), ['rising', 'falling']);
  });
}

t.test('kernel sequence numbers: the gap is the number of dropped events', async (t) => {
  t.equal(droppedBetween(0, 1), 0);
  t.equal(droppedBetween(1, 2), 0);
  t.equal(droppedBetween(1, 5), 3);
  t.equal(droppedBetween(7, 1), 0, 'numbering that starts again drops nothing');
});

t.test('events the kernel dropped reach readers as overflow N', async (t) => {
  const history = new EventHistory();
  const reader = history.reader();
  history.push({ timestampNs: 1n, type: 'rising' });
  history.push({ timestampNs: 9n, type: 'falling', dropped: 3 });
  t.equal((reader.read(4096, true) as Buffer).toString(), '1 rising\noverflow 3\n9 falling\n');
});

t.test('--gpio-library and GPIO_AGGFS_GPIO_LIBRARY', async (t) => {
  t.equal(gpioLibraryChoice(undefined, {}), 'auto');
  t.equal(gpioLibraryChoice(undefined, { GPIO_AGGFS_GPIO_LIBRARY: '1' }), '1');
  t.equal(gpioLibraryChoice('2', { GPIO_AGGFS_GPIO_LIBRARY: '1' }), '2', 'the option wins');
  t.equal(errno(() => gpioLibraryChoice('3', {})), 'EINVAL');
  t.equal(errno(() => gpioLibraryChoice(undefined, { GPIO_AGGFS_GPIO_LIBRARY: 'v2' })), 'EINVAL');
});
