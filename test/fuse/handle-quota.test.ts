import t from 'tap';
import { HandleQuota, MAX_HANDLES_PER_USER } from '../../lib/fuse/handle-quota.js';

t.test('each user holds at most the limit; a close frees one; root is not counted', async (t) => {
  const quota = new HandleQuota(3);
  t.same([quota.take(1000), quota.take(1000), quota.take(1000)], [true, true, true]);
  t.equal(quota.take(1000), false, 'the fourth is refused');
  t.equal(quota.of(1000), 3, 'and not counted');
  t.equal(quota.take(1001), true, 'another user is not held back');
  quota.give(1000);
  t.equal(quota.take(1000), true, 'once one is closed, one more');
  for (let i = 0; i < 10; i += 1) t.equal(quota.take(0), true, 'root');
  t.equal(quota.of(0), 0);
  for (let i = 0; i < 5; i += 1) quota.give(1001);
  t.equal(quota.of(1001), 0, 'more closes than opens never go below 0');
  t.equal(MAX_HANDLES_PER_USER, 16384);
});
