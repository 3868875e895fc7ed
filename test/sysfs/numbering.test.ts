import t from 'tap';
import type { ChipInfo } from '../../lib/gpio/backend.js';
import { parseSysfsBase, sysfsBases, SysfsNumbering } from '../../lib/sysfs/numbering.js';

const chip = (number: number, lines: number, label = `chip-${number}`): ChipInfo => ({
  name: `gpiochip${number}`, label, path: `/dev/gpiochip${number}`, lines, lineNames: new Array<string>(lines).fill(''),
});
const bases = (numbering: SysfsNumbering): string[] => numbering.ranges().map(({ chip: c, base }) => `${c.name}@${base}`);

t.test('from 512 upward, contiguous, in chip order', async (t) => {
  const numbering = new SysfsNumbering();
  numbering.update([chip(0, 58), chip(1, 8), chip(2, 16)]);
  t.same(bases(numbering), ['gpiochip0@512', 'gpiochip1@570', 'gpiochip2@578']);
  t.same(numbering.locate(529), { chip: chip(0, 58), offset: 17 }, 'GPIO 529 is gpiochip0 line 17');
  t.same(numbering.locate(577n), { chip: chip(1, 8), offset: 7 });
  t.equal(numbering.locate(511), undefined);
  t.equal(numbering.locate(594), undefined);
  t.equal(numbering.gpioOf('gpiochip2', 3), 581);
});

t.test('a removed chip frees its range; a new chip takes the first range that fits', async (t) => {
  const numbering = new SysfsNumbering();
  numbering.update([chip(0, 8), chip(1, 16), chip(2, 8)]);
  const change = numbering.update([chip(0, 8), chip(2, 8)]);
  t.same(change.removed.map(({ base }) => base), [520]);
  t.same(bases(numbering), ['gpiochip0@512', 'gpiochip2@536'], 'the others keep their bases');
  numbering.update([chip(0, 8), chip(2, 8), chip(3, 32)]);
  t.same(bases(numbering), ['gpiochip0@512', 'gpiochip2@536', 'gpiochip3@544'], '32 lines do not fit the hole of 16');
  const added = numbering.update([chip(0, 8), chip(2, 8), chip(3, 32), chip(4, 4)]);
  t.same(added.added.map(({ base }) => base), [520], '4 lines do');
  const relabelled = numbering.update([chip(0, 8, 'other'), chip(2, 8), chip(3, 32), chip(4, 4)]);
  t.same([relabelled.removed.length, relabelled.added.length], [1, 1], 'a different chip under the same name is a new chip');
});

t.test('configured bases, by chip name or label', async (t) => {
  const numbering = new SysfsNumbering(new Map([['gpiochip0', 0], ['sim-b', 100]]));
  numbering.update([chip(0, 32), chip(1, 16, 'sim-b'), chip(2, 8)]);
  t.same(bases(numbering), ['gpiochip0@0', 'gpiochip1@100', 'gpiochip2@512']);
  t.same(numbering.locate(17), { chip: chip(0, 32), offset: 17 });
});

t.test('an absent configured chip keeps its base free; an overlapping one is left out', async (t) => {
  const late = new SysfsNumbering(new Map([['late', 512]]));
  late.update([chip(0, 8)]);
  t.same(bases(late), ['gpiochip0@513'], 'the dynamic chip goes after the reserved base 512');
  late.update([chip(0, 8), chip(1, 1, 'late')]);
  t.same(bases(late), ['gpiochip1@512', 'gpiochip0@513'], 'the configured chip gets it when it comes');

  const errors: string[] = [];
  const original = console.error;
  console.error = (message: string) => { errors.push(message); };
  t.teardown(() => { console.error = original; });
  const clash = new SysfsNumbering(new Map([['clash', 515]]));
  clash.update([chip(0, 8)]);
  t.same(bases(clash), ['gpiochip0@516']);
  clash.update([chip(0, 8), chip(1, 4, 'clash')]);
  t.same(bases(clash), ['gpiochip0@516'], 'a configured range overlapping a present chip is refused');
  t.match(errors.join('\n'), /gpiochip1 \("clash"\): configured GPIO base 515 overlaps GPIOs 516-523/);
});

t.test('--sysfs-base CHIP=BASE', async (t) => {
  t.same(parseSysfsBase('gpiochip0=0'), ['gpiochip0', 0]);
  t.same(parseSysfsBase('pinctrl-bcm2711=512'), ['pinctrl-bcm2711', 512]);
  for (const bad of ['gpiochip0', '=5', 'gpiochip0=', 'gpiochip0=-1', 'gpiochip0=012', 'gpiochip0=2147483648', 'a b=1', 'x=1=2']) {
    t.throws(() => parseSysfsBase(bad), { code: 'EINVAL', message: /expected CHIP=BASE/ }, JSON.stringify(bad));
  }
  t.throws(() => sysfsBases([['a', 1], ['a', 2]], '--sysfs-base'), { code: 'EINVAL', message: '--sysfs-base: sysfs base of a given twice' });
  t.same([...sysfsBases([['a', 1], ['b', 2]], 'x')], [['a', 1], ['b', 2]]);
});
