import { constants } from 'node:os';
import t from 'tap';
import { GpioAggError } from '../../lib/errors.js';
import { fuseCode } from '../../lib/fs/fuse-code.js';

t.test('errors become negative errno codes; anything unexpected is EIO', async (t) => {
  t.equal(fuseCode(new GpioAggError('EBUSY', 'busy')), -constants.errno.EBUSY);
  t.equal(fuseCode(new GpioAggError('EOPNOTSUPP', 'no')), -constants.errno.EOPNOTSUPP);
  const original = console.error;
  console.error = () => {};
  t.teardown(() => { console.error = original; });
  t.equal(fuseCode(new TypeError('bug')), -constants.errno.EIO);
});
