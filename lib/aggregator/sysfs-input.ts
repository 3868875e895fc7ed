import { GpioAggError } from '../errors.js';

/**
 * Input parsing as the kernel's sysfs attribute store() callbacks do it, so
 * that scripts written for /sys/class/gpio behave the same here.
 */

/**
 * `sysfs_streq()`: the written text equals `word`, allowing exactly one
 * trailing newline (what `echo` adds).
 */
export function sysfsWord(input: string): string {
  return input.endsWith('\n') ? input.slice(0, -1) : input;
}

/** Pick one of `choices` the way sysfs_streq() compares, or EINVAL naming what was expected. */
export function parseChoice<T extends string>(input: string, choices: readonly T[], what: string): T {
  const word = sysfsWord(input);
  const found = choices.find((choice) => choice === word);
  if (found === undefined) {
    throw new GpioAggError('EINVAL', `invalid ${what} ${JSON.stringify(word)}: expected one of ${choices.join(', ')}`);
  }
  return found;
}

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);
const ULLONG_MAX = (1n << 64n) - 1n;
const COMMON_LONGS: ReadonlyMap<string, bigint> = new Map([['0', 0n], ['1', 1n], ['0\n', 0n], ['1\n', 1n]]);

/**
 * `kstrtol(s, 0, &res)`: optional sign, then a decimal number, a `0x`/`0X`
 * prefixed hexadecimal one or a `0` prefixed octal one; one trailing newline
 * allowed; nothing else (no spaces). As in the kernel, digits that overflow
 * 64 bits give ERANGE even when junk follows them; a number out of the range
 * of a 64-bit long → ERANGE.
 */
export function parseKernelLong(input: string): bigint {
  // `echo 0` / `echo 1` to a value file, the hot path, skip the regular expression and BigInt parsing.
  const common = COMMON_LONGS.get(input);
  if (common !== undefined) return common;
  const text = sysfsWord(input);
  const match = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(.*)$/s.exec(input);
  if (match === null) {
    throw new GpioAggError('EINVAL', `invalid integer ${JSON.stringify(text)}`);
  }
  const [, sign, digits, rest] = match as unknown as [string, string, string, string];
  const magnitude = /^0[xX]/.test(digits)
    ? BigInt(digits)
    : digits.length > 1 && digits.startsWith('0')
      ? BigInt(`0o${digits.slice(1)}`)
      : BigInt(digits);
  // _kstrtoull() reports an overflowing digit run before it looks at what follows.
  if (magnitude > ULLONG_MAX) {
    throw new GpioAggError('ERANGE', `integer ${JSON.stringify(text)} out of range`);
  }
  if (rest !== '' && rest !== '\n') {
    throw new GpioAggError('EINVAL', `invalid integer ${JSON.stringify(text)}`);
  }
  const value = sign === '-' ? -magnitude : magnitude;
  if (value > LONG_MAX || value < LONG_MIN) {
    throw new GpioAggError('ERANGE', `integer ${JSON.stringify(text)} out of range`);
  }
  return value;
}
