/**
 * Offset lists (`3-5,7`): the one place that reads and writes them.
 *
 * Grammar (the kernel's bitmap_parselist() without its `N` and `:used/group`
 * extensions):
 *   list   := item ("," item)*
 *   item   := offset | offset "-" offset      (first ≤ second)
 *   offset := one or more ASCII decimal digits (leading zeros allowed)
 * No signs, no hex, no spaces, no empty items. Like the kernel's bitmap, the
 * result is ascending and de-duplicated.
 *
 * Offsets above the aggregator limit or above a chip's line count are still
 * read here — resolving against real chips reports those with the chip's
 * name — but nothing above MAX_OFFSET, so that `0-999999999` fails at once
 * instead of expanding into a billion numbers.
 */
import { GpioAggError } from '../errors.js';

/**
 * The kernel's struct gpio_chip counts its lines in a u16, so no chip has an
 * offset above this.
 */
export const MAX_OFFSET = 65535;

const ITEM = /^([0-9]+)(?:-([0-9]+))?$/;
const STARTS_WITH_DIGIT = /^[0-9]/;

/**
 * Whether a token in offset-list position is meant as an offset list: it
 * starts with a decimal digit. It must then parse, or the spec is rejected
 * (`0x`, `5-3`), rather than quietly becoming a line name.
 */
export function looksLikeOffsetList(text: string): boolean {
  return STARTS_WITH_DIGIT.test(text);
}

interface Range {
  readonly first: number;
  readonly last: number;
}

function malformed(list: string, why: string): GpioAggError {
  return new GpioAggError('EINVAL', `malformed offset list "${list}": ${why}`);
}

function readOffset(digits: string, list: string): number {
  const value = Number(digits);
  if (value > MAX_OFFSET) {
    throw malformed(list, `offset ${digits} is larger than any GPIO chip has (at most ${MAX_OFFSET})`);
  }
  return value;
}

function readRange(item: string, list: string): Range {
  if (item === '') throw malformed(list, 'empty item');
  const match = ITEM.exec(item);
  if (match === null) throw malformed(list, `"${item}" is neither an offset nor a range`);
  const [, firstDigits = '', lastDigits] = match;
  const first = readOffset(firstDigits, list);
  const last = lastDigits === undefined ? first : readOffset(lastDigits, list);
  if (first > last) throw malformed(list, `range "${item}" runs backwards`);
  return { first, last };
}

/** Parse an offset list into ascending, de-duplicated offsets. EINVAL when malformed. */
export function parseOffsetList(list: string): number[] {
  if (list === '') throw malformed(list, 'empty');
  const ranges = list.split(',').map((item) => readRange(item, list));

  // Merge overlapping ranges before expanding them, so that a list repeating
  // `0-65535` many times costs no more than one copy of it.
  ranges.sort((a, b) => a.first - b.first);
  const offsets: number[] = [];
  let next = 0;
  for (const { first, last } of ranges) {
    for (let offset = Math.max(first, next); offset <= last; offset++) offsets.push(offset);
    next = Math.max(next, last + 1);
  }
  return offsets;
}

/**
 * The canonical text of a set of offsets: ascending, runs of two or more
 * consecutive offsets written as `first-last` (as the kernel's `%*pbl`
 * prints a bitmap). parseOffsetList() reads it back as the sorted,
 * de-duplicated input.
 */
export function formatOffsetList(offsets: readonly number[]): string {
  for (const offset of offsets) {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > MAX_OFFSET) {
      throw new GpioAggError('EINVAL', `${offset} is not a GPIO line offset`);
    }
  }
  const sorted = [...new Set(offsets)].sort((a, b) => a - b);
  const runs: Range[] = [];
  for (const offset of sorted) {
    const current = runs.at(-1);
    if (current !== undefined && offset === current.last + 1) {
      runs[runs.length - 1] = { first: current.first, last: offset };
    } else {
      runs.push({ first: offset, last: offset });
    }
  }
  return runs.map(({ first, last }) => (first === last ? `${first}` : `${first}-${last}`)).join(',');
}
