// The kernel tests read gpioinfo of either libgpiod generation (test/helpers/gpio-tools.ts):
// its parser on the two output formats, checked here on the host, where no tool has a chip.
import t from 'tap';
import { parseGpioinfoLine } from '../helpers/gpio-tools.js';

t.test('libgpiod 1.x columns', async (t) => {
  t.same(parseGpioinfoLine('\tline   0:       "LED0"       unused   input  active-high '),
    { offset: 0, name: 'LED0', consumer: '', direction: 'input', activeLow: false });
  t.same(parseGpioinfoLine('\tline   9:      unnamed  "gpioset"  output  active-low [used]'),
    { offset: 9, name: '', consumer: 'gpioset', direction: 'output', activeLow: true });
  t.same(parseGpioinfoLine('\tline  12: "status led" "gpio-aggfs" input active-high [used]'),
    { offset: 12, name: 'status led', consumer: 'gpio-aggfs', direction: 'input', activeLow: false });
});

t.test('libgpiod 2.x attributes', async (t) => {
  t.same(parseGpioinfoLine('\tline   0:\t"LED0"          \tinput'),
    { offset: 0, name: 'LED0', consumer: '', direction: 'input', activeLow: false });
  t.same(parseGpioinfoLine('\tline   9:\tunnamed         \toutput active-low drive=open-drain consumer="gpioset"'),
    { offset: 9, name: '', consumer: 'gpioset', direction: 'output', activeLow: true });
  t.same(parseGpioinfoLine('\tline  14:\t"status led"    \tinput bias=pull-up edges=both event-clock=monotonic debounce-period=10ms consumer="gpio-aggfs"'),
    { offset: 14, name: 'status led', consumer: 'gpio-aggfs', direction: 'input', activeLow: false });
  t.same(parseGpioinfoLine('\tline   3:\tunnamed\toutput consumer=kernel'),
    { offset: 3, name: '', consumer: 'kernel', direction: 'output', activeLow: false }, 'unquoted consumer (--unquoted, or a kernel user)');
});

t.test('what is no line entry', async (t) => {
  t.equal(parseGpioinfoLine('gpiochip1 - 16 lines:'), undefined);
  t.equal(parseGpioinfoLine(''), undefined);
  t.equal(parseGpioinfoLine('\tline   2:\tunnamed\tsomething'), undefined, 'no direction');
});
