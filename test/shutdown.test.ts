import t from 'tap';
import { shutDown, type ShutdownSteps } from '../lib/shutdown.js';

function recorder(unmountFails = false): { steps: ShutdownSteps; order: string[] } {
  const order: string[] = [];
  return {
    order,
    steps: {
      endStreams: () => { order.push('end streams'); },
      readsAnswered: async (graceMs) => { order.push(`reads answered (≤ ${graceMs} ms)`); },
      unmount: async () => {
        order.push('unmount');
        if (unmountFails) throw new Error('busy');
      },
      release: () => { order.push('release'); },
    },
  };
}

t.test('streams end and are answered before the unmount; aggregators and lines go last', async (t) => {
  const { steps, order } = recorder();
  await shutDown(steps);
  t.same(order, ['end streams', 'reads answered (≤ 1000 ms)', 'unmount', 'release']);
});

t.test('a failed unmount still releases everything, and the failure is reported', async (t) => {
  const { steps, order } = recorder(true);
  await t.rejects(shutDown(steps, 5), { message: 'busy' });
  t.same(order, ['end streams', 'reads answered (≤ 5 ms)', 'unmount', 'release']);
});
