import t from 'tap';
import { GpioAggError } from '../../lib/errors.js';
import { parseAggregatorName, type ChangeKeeper } from '../../lib/aggregator/registry.js';
import { simRegistry } from '../helpers/sim.js';

t.test('ids are the lowest free, and reused after delete', async (t) => {
  const { registry } = simRegistry();
  t.equal(registry.create('gpiochip0 0').name, 'gpio-agg.0');
  t.equal(registry.create('gpiochip0 1').name, 'gpio-agg.1');
  t.equal(registry.create('gpiochip0 2').name, 'gpio-agg.2');
  registry.delete('gpio-agg.1');
  t.equal(registry.create('gpiochip0 4').name, 'gpio-agg.1');
  t.same(registry.list().map((a) => a.name), ['gpio-agg.0', 'gpio-agg.1', 'gpio-agg.2']);
});

t.test('creation is all-or-nothing', async (t) => {
  const { registry, sim } = simRegistry();
  registry.create('gpiochip1 5');
  t.throws(() => registry.create('gpiochip1 0-4 gpiochip1 5'), { code: 'EBUSY' });
  t.equal(registry.list().length, 1);
  for (const line of sim.lineInfo('gpiochip1').slice(0, 5)) t.equal(line.used, false, `line ${line.offset} released`);
  t.equal(registry.create('gpiochip1 0-4').lines.length, 5);
});

t.test('restoring with an id keeps it; a taken id is EEXIST', async (t) => {
  const { registry } = simRegistry();
  t.equal(registry.create('gpiochip0 0', 5).name, 'gpio-agg.5');
  t.throws(() => registry.create('gpiochip0 1', 5), { code: 'EEXIST' });
  t.equal(registry.create('gpiochip0 1').name, 'gpio-agg.0');
});

t.test('delete names and errors', async (t) => {
  const { registry } = simRegistry();
  registry.create('gpiochip0 0');
  t.throws(() => registry.delete('gpio-agg.1'), { code: 'ENOENT' });
  for (const bad of ['', 'gpio-agg.', 'gpio-agg.x', 'gpio-agg.01', 'gpio-agg.0 ', 'agg.0', 'gpio-agg.-1', 'gpio-agg.0\n\n']) {
    t.throws(() => registry.delete(bad), { code: 'EINVAL' }, JSON.stringify(bad));
  }
  t.equal(registry.list().length, 1, 'bad names changed nothing');
  registry.delete('gpio-aggregator.0\n');
  t.equal(registry.list().length, 0);
});

t.test('parseAggregatorName', async (t) => {
  t.equal(parseAggregatorName('gpio-agg.12'), 12);
  t.equal(parseAggregatorName('gpio-aggregator.3\n'), 3);
  t.throws(() => parseAggregatorName('gpio-agg.1234567890'), { code: 'EINVAL' });
});

t.test('change events and closeAll', async (t) => {
  const { registry, sim } = simRegistry();
  const seen: string[] = [];
  const off = registry.onChange((event) => seen.push(`${event.type} ${event.aggregator.name}`));
  const aggregator = registry.create('LED0 LED1');
  let closed = false;
  aggregator.onClose(() => { closed = true; });
  registry.closeAll();
  off();
  registry.create('LED0');
  t.same(seen, ['created gpio-agg.0', 'deleted gpio-agg.0']);
  t.equal(closed, true);
  t.equal(aggregator.isClosed, true);
  t.equal(sim.lineInfo('gpiochip0')[1]?.used, false);
});

t.test('a keeper that refuses a creation undoes it; one that refuses a deletion keeps the aggregator', async (t) => {
  const { registry, sim } = simRegistry();
  const seen: string[] = [];
  registry.onChange((event) => seen.push(`${event.type} ${event.aggregator.name}`));
  let refuse = false;
  const calls: string[] = [];
  const keeper: ChangeKeeper = {
    created: (aggregator) => {
      calls.push(`created ${aggregator.name} listed=${registry.list().includes(aggregator)}`);
      if (refuse) throw new GpioAggError('ENOSPC', 'no space');
    },
    deleting: (id) => {
      calls.push(`deleting ${id} listed=${registry.get(`gpio-agg.${id}`) !== undefined}`);
      if (refuse) throw new GpioAggError('EROFS', 'read-only');
    },
  };
  registry.keepChangesWith(keeper);
  registry.create('gpiochip1 0');
  refuse = true;
  t.throws(() => registry.create('gpiochip1 1-2'), { code: 'ENOSPC' });
  t.same(registry.list().map((a) => a.name), ['gpio-agg.0'], 'the refused aggregator is gone');
  t.same(sim.lineInfo('gpiochip1').slice(1, 3).map((line) => line.used), [false, false], 'its lines are released');
  t.throws(() => registry.delete('gpio-agg.0'), { code: 'EROFS' });
  t.equal(registry.get('gpio-agg.0')?.isClosed, false, 'the aggregator stays, open');
  t.equal(sim.lineInfo('gpiochip1')[0]?.used, true);
  registry.reserve(4, 'gpiochip9 0');
  t.throws(() => registry.delete('gpio-agg.4'), { code: 'EROFS' });
  t.same(registry.reserved(), [{ id: 4, spec: 'gpiochip9 0' }], 'a reservation stays too');
  t.throws(() => registry.delete('gpio-agg.7'), { code: 'ENOENT' }, 'no keeper call for what does not exist');
  refuse = false;
  registry.delete('gpio-agg.0');
  registry.keepChangesWith(undefined);
  registry.create('gpiochip1 3');
  registry.closeAll();
  t.same(calls, [
    'created gpio-agg.0 listed=true', 'created gpio-agg.1 listed=true', 'deleting 0 listed=true',
    'deleting 4 listed=false', 'deleting 0 listed=true',
  ], 'created after it exists, deleting before it goes; none without a keeper or at closeAll');
  t.same(seen, ['created gpio-agg.0', 'created gpio-agg.1', 'deleted gpio-agg.1', 'deleted gpio-agg.0', 'created gpio-agg.0', 'deleted gpio-agg.0']);
});
