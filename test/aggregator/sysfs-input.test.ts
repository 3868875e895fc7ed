import t from 'tap';
import { GpioAggError } from '../../lib/errors.js';
import { parseChoice, parseKernelLong, sysfsWord } from '../../lib/aggregator/sysfs-input.js';

/** The errno parseKernelLong throws for `text`, or its value. */
function long(text: string): bigint | string {
  try {
    return parseKernelLong(text);
  } catch (err) {
    if (!(err instanceof GpioAggError)) throw err;
    return err.code;
  }
}

t.test('kstrtol base 0: decimal, 0x hexadecimal, 0 octal, signs', async (t) => {
  const cases: [string, bigint][] = [
    ['0', 0n], ['1', 1n], ['0\n', 0n], ['1\n', 1n], ['42', 42n], ['42\n', 42n],
    ['0x1f', 31n], ['0X1F', 31n], ['0x1F\n', 31n], ['0x0', 0n], ['0x00000000000000001', 1n],
    ['010', 8n], ['0777', 511n], ['00', 0n], ['000\n', 0n],
    ['-0', 0n], ['+0', 0n], ['-1', -1n], ['+1', 1n], ['-0x10', -16n], ['+010', 8n],
    ['9223372036854775807', 9223372036854775807n], ['-9223372036854775808', -9223372036854775808n],
    ['0x7fffffffffffffff', 9223372036854775807n], ['-0x8000000000000000', -9223372036854775808n],
    ['0777777777777777777777', 9223372036854775807n],
  ];
  for (const [text, value] of cases) t.equal(long(text), value, `${JSON.stringify(text)} → ${value}`);
});

t.test('kstrtol: EINVAL for anything but one number and one trailing newline', async (t) => {
  const cases = [
    '', '\n', ' ', '1 ', ' 1', '1\n\n', '\n1', '1\r\n', '1\t', 'x', 'one', '1.0', '1e3', '1_000',
    '08', '09', '0b1', '0o7', '0x', '0X', '0x\n', '0xg', '0x1g', '0x-1', '-', '+', '--1', '+-1', '-+1', '++1',
    '- 1', '1-', '0x1 ', '1\0', '\u00b9', '١',
  ];
  for (const text of cases) t.equal(long(text), 'EINVAL', `${JSON.stringify(text)} → EINVAL`);
});

t.test('kstrtol: ERANGE outside a 64-bit long, and for overflowing digits even with junk after them', async (t) => {
  const cases = [
    '9223372036854775808', '-9223372036854775809', '18446744073709551615', '18446744073709551616',
    '0x8000000000000000', '0xffffffffffffffff', '0x10000000000000000', '-0x8000000000000001',
    '01000000000000000000000', '99999999999999999999999999999999\n',
    // _kstrtoull() checks for overflow before it looks at the rest.
    '99999999999999999999999x', '-99999999999999999999999 ', '0x1ffffffffffffffffz',
  ];
  for (const text of cases) t.equal(long(text), 'ERANGE', `${JSON.stringify(text)} → ERANGE`);
  // Junk after digits that fit is EINVAL, even when the value would not fit a long.
  t.equal(long('9223372036854775808x'), 'EINVAL');
  t.equal(long('18446744073709551615 '), 'EINVAL');
});

t.test('sysfsWord and parseChoice: exactly one trailing newline is allowed', async (t) => {
  t.equal(sysfsWord('in\n'), 'in');
  t.equal(sysfsWord('in'), 'in');
  t.equal(sysfsWord('in\n\n'), 'in\n');
  t.equal(sysfsWord('\n'), '');
  const words = ['in', 'out'] as const;
  t.equal(parseChoice('in', words, 'direction'), 'in');
  t.equal(parseChoice('out\n', words, 'direction'), 'out');
  for (const bad of ['in\n\n', ' in', 'in ', 'IN', '', '\n', 'i', 'inn', 'in\r', 'in\0']) {
    t.throws(() => parseChoice(bad, words, 'direction'), { name: 'GpioAggError', code: 'EINVAL' }, JSON.stringify(bad));
  }
  t.throws(() => parseChoice('sideways', words, 'direction'), { message: /invalid direction "sideways": expected one of in, out/ });
});
