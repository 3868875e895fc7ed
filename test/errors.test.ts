import t from 'tap';
import { GpioAggError, fromSystemError } from '../lib/errors.js';

t.test('carries errno name and number', async (t) => {
  const e = new GpioAggError('EBUSY', 'line busy');
  t.equal(e.code, 'EBUSY');
  t.equal(e.errno, 16);
  t.equal(e.message, 'line busy');
});

t.test('wraps system errors keeping known codes', async (t) => {
  const sys = Object.assign(new Error('Device or resource busy'), { code: 'EBUSY' });
  t.equal(fromSystemError(sys, 'request').code, 'EBUSY');
  t.equal(fromSystemError(new Error('x'), 'request').code, 'EIO');
  t.equal(fromSystemError({ code: 'EWHATEVER' }, 'r', 'ENODEV').code, 'ENODEV');
});
