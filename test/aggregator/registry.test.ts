import t from 'tap';
import { parseAggregatorName } from '../../lib/aggregator/registry.js';
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
