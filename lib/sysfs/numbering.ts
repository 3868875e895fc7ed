import createDebug from 'debug';
import { GpioAggError } from '../errors.js';
import type { ChipInfo } from '../gpio/backend.js';

const log = createDebug('gpio-aggfs:sysfs:numbering');

/** Where Linux (6.2 and later) starts numbering chips that have no fixed base. */
export const DYNAMIC_BASE = 512;
/** The kernel's GPIO numbers are ints: gpio_is_valid() takes 0 … INT_MAX. */
const MAX_GPIO = 0x7fffffff;

/** A chip and the first legacy GPIO number of its lines. */
export interface ChipRange {
  readonly chip: ChipInfo;
  readonly base: number;
}

export interface LineLocation {
  readonly chip: ChipInfo;
  readonly offset: number;
}

/**
 * The legacy GPIO numbers of the chips present: each chip's lines are
 * `base … base + ngpio - 1`. A chip with a configured base (keyed by its name
 * or its label) gets that base; every other chip gets the lowest free range
 * from 512 up, first fit, in the order chips appear — gpiolib's dynamic
 * allocation since Linux 6.2. Ranges of configured chips stay reserved while
 * those chips are absent, so a configured chip can always come back. A chip
 * keeps its base for as long as it is present.
 */
export class SysfsNumbering {
  private readonly assigned = new Map<string, ChipRange>();

  constructor(private readonly configured: ReadonlyMap<string, number> = new Map()) {}

  /**
   * Bring the numbering in line with the chips present now (in chip order).
   * Returns the chips that appeared and the ranges of the chips that went.
   */
  update(chips: readonly ChipInfo[]): { added: ChipRange[]; removed: ChipRange[] } {
    const present = new Map(chips.map((chip) => [chip.name, chip]));
    const removed: ChipRange[] = [];
    for (const [name, range] of this.assigned) {
      const now = present.get(name);
      if (now === undefined || now.label !== range.chip.label || now.lines !== range.chip.lines) {
        this.assigned.delete(name);
        removed.push(range);
      }
    }
    const added: ChipRange[] = [];
    for (const chip of chips) {
      if (this.assigned.has(chip.name)) continue;
      const base = this.baseFor(chip);
      if (base === undefined) continue;
      const range = { chip, base };
      this.assigned.set(chip.name, range);
      added.push(range);
      log('%s "%s": GPIOs %d-%d', chip.name, chip.label, base, base + chip.lines - 1);
    }
    return { added, removed };
  }

  /** Present chips in base order. */
  ranges(): ChipRange[] {
    return [...this.assigned.values()].sort((a, b) => a.base - b.base);
  }

  range(chipName: string): ChipRange | undefined {
    return this.assigned.get(chipName);
  }

  /** The chip and offset of a legacy number, as gpio_to_desc() finds them; undefined when no chip has it. */
  locate(gpio: bigint | number): LineLocation | undefined {
    for (const { chip, base } of this.assigned.values()) {
      if (gpio >= base && gpio < base + chip.lines) return { chip, offset: Number(gpio) - base };
    }
    return undefined;
  }

  gpioOf(chipName: string, offset: number): number | undefined {
    const range = this.assigned.get(chipName);
    return range === undefined ? undefined : range.base + offset;
  }

  private configuredBase(chip: ChipInfo): number | undefined {
    return this.configured.get(chip.name) ?? this.configured.get(chip.label);
  }

  private baseFor(chip: ChipInfo): number | undefined {
    const fixed = this.configuredBase(chip);
    const taken = this.takenRanges(chip);
    if (fixed !== undefined) {
      const clash = taken.find(([start, end]) => fixed < end && start < fixed + chip.lines);
      if (clash !== undefined) {
        // As gpiochip_add_data() refuses a chip whose range overlaps another's.
        console.error(`gpio-aggfs: ${chip.name} ("${chip.label}"): configured GPIO base ${fixed} overlaps GPIOs ${clash[0]}-${clash[1] - 1}; not shown in sysfs-gpio`);
        return undefined;
      }
      return fixed;
    }
    let base = DYNAMIC_BASE;
    for (const [start, end] of taken.sort((a, b) => a[0] - b[0])) {
      if (end <= base) continue;
      if (start >= base + chip.lines) break;
      base = end;
    }
    if (base + chip.lines - 1 > MAX_GPIO) {
      console.error(`gpio-aggfs: ${chip.name}: no free GPIO numbers left; not shown in sysfs-gpio`);
      return undefined;
    }
    return base;
  }

  /** [start, end) of every present chip and of every configured chip that is absent. */
  private takenRanges(chip: ChipInfo): [number, number][] {
    const ranges: [number, number][] = [...this.assigned.values()].map(({ chip: c, base }) => [base, base + c.lines]);
    const present = new Set([...this.assigned.values()].flatMap(({ chip: c }) => [c.name, c.label]));
    for (const [key, base] of this.configured) {
      if (present.has(key) || key === chip.name || key === chip.label) continue;
      // An absent configured chip's size is unknown: keep its base itself free.
      ranges.push([base, base + 1]);
    }
    return ranges;
  }
}

/**
 * `gpiochip0=0` (from --sysfs-base, repeatable) → chip key and base. The key
 * is a chip name or label; the base a decimal number from 0 to 2147483647.
 */
export function parseSysfsBase(text: string): [string, number] {
  const match = /^([^=\s]+)=(0|[1-9][0-9]{0,9})$/.exec(text);
  const base = match === null ? NaN : Number(match[2]);
  if (match === null || base > MAX_GPIO) {
    throw new GpioAggError('EINVAL', `invalid sysfs base ${JSON.stringify(text)}: expected CHIP=BASE, such as gpiochip0=0 (CHIP a chip name or label, BASE 0 to ${MAX_GPIO})`);
  }
  return [match[1] as string, base];
}

/** Several chip=base settings as one map; the same chip twice is an error. */
export function sysfsBases(entries: readonly (readonly [string, number])[], where: string): Map<string, number> {
  const bases = new Map<string, number>();
  for (const [key, base] of entries) {
    if (bases.has(key)) throw new GpioAggError('EINVAL', `${where}: sysfs base of ${key} given twice`);
    bases.set(key, base);
  }
  return bases;
}
