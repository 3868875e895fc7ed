import createDebug from 'debug';
import { GpioAggError } from '../errors.js';

const log = createDebug('gpio-aggfs:fuse');

/** The one place errors become FUSE reply codes (negative errno), for every transport. */
export function fuseCode(err: unknown): number {
  if (err instanceof GpioAggError) {
    log('%s (%s)', err.message, err.code);
    return -err.errno;
  }
  log('unexpected error: %O', err);
  console.error('gpio-aggfs: unexpected error:', err);
  return -new GpioAggError('EIO', 'internal error').errno;
}
