import { GpioAggError } from '../../lib/errors.js';

/** The GpioAggError `action` throws; anything else thrown is rethrown, and nothing thrown is an error. */
export function rejection(action: () => unknown): GpioAggError {
  try {
    action();
  } catch (err) {
    if (err instanceof GpioAggError) return err;
    throw err;
  }
  throw new Error('expected a GpioAggError, but nothing was thrown');
}
