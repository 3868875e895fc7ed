/**
 * From parsed groups to concrete lines, against the chips a backend lists.
 *
 * Chip keys are matched in this order, so that an exact identity always
 * beats a label, which anybody may set and several chips may share:
 *   1. chip name (`gpiochip0`) — the spec's rule: a name beats another chip's label;
 *   2. device path (`/dev/gpiochip0`);
 *   3. chip label (`sim-b`) — when several chips share it, the first in chip order.
 * Line names are looked up across all chips in chip order, then offset
 * order; the first match wins (as libgpiod's gpiod_line_find() does).
 *
 * Errors: EINVAL for an offset past the chip's last line, more than
 * MAX_AGGREGATOR_LINES lines, or a line selected twice; ENOENT for an unknown
 * chip key or line name. Each message names the token at fault.
 */
import { GpioAggError } from '../errors.js';
import type { ChipInfo } from '../gpio/backend.js';
import { looksLikeOffsetList } from './offsets.js';
import type { ChipGroup, NameGroup, SpecGroup } from './parse.js';

/** The most lines one aggregator may hold (the kernel's AGGREGATOR_MAX_GPIOS). */
export const MAX_AGGREGATOR_LINES = 512;

export interface ResolvedLine {
  readonly chip: ChipInfo;
  readonly offset: number;
}

export function findChip(key: string, chips: readonly ChipInfo[]): ChipInfo | undefined {
  return (
    chips.find((chip) => chip.name === key) ??
    chips.find((chip) => chip.path === key) ??
    chips.find((chip) => chip.label === key)
  );
}

export function findLineByName(name: string, chips: readonly ChipInfo[]): ResolvedLine | undefined {
  // An unnamed line has the name "", which must never be selectable.
  if (name === '') return undefined;
  for (const chip of chips) {
    const offset = chip.lineNames.indexOf(name);
    if (offset !== -1 && offset < chip.lines) return { chip, offset };
  }
  return undefined;
}

function chipGroupLines(group: ChipGroup, chips: readonly ChipInfo[]): ResolvedLine[] {
  const chip = findChip(group.key, chips);
  if (chip === undefined) {
    throw new GpioAggError('ENOENT', `unknown chip "${group.key}"`);
  }
  const lines: ResolvedLine[] = [];
  for (const offset of group.offsets) {
    if (offset >= chip.lines) {
      // Name the chip as the user wrote it, and by name when that differs.
      const which = group.key === chip.name ? `${chip.name} (` : `"${group.key}" (${chip.name}, `;
      throw new GpioAggError('EINVAL', `offset ${offset} out of range for ${which}${chip.lines} lines)`);
    }
    lines.push({ chip, offset });
  }
  return lines;
}

function nameGroupLine(group: NameGroup, chips: readonly ChipInfo[]): ResolvedLine {
  const line = findLineByName(group.name, chips);
  if (line !== undefined) return line;
  // The grammar makes a lone chip key or a stray offset list a line name;
  // say so, since that is almost always what went wrong.
  let hint = '';
  if (findChip(group.name, chips) !== undefined) {
    hint = ' (that is a chip: follow it with an offset list)';
  } else if (looksLikeOffsetList(group.name)) {
    hint = ' (an offset list must follow a chip key)';
  }
  throw new GpioAggError('ENOENT', `unknown line name "${group.name}"${hint}`);
}

function describeGroup(group: SpecGroup): string {
  return group.kind === 'name' ? `"${group.name}"` : `"${group.key}" with ${group.offsets.length} offsets`;
}

/**
 * Resolve parsed groups to lines: groups in order, each chip group's lines
 * ascending. Throws (see the module comment) rather than returning a partial
 * result.
 */
export function resolveSpec(groups: readonly SpecGroup[], chips: readonly ChipInfo[]): ResolvedLine[] {
  const resolved: ResolvedLine[] = [];
  const taken = new Map<ChipInfo, Set<number>>();

  for (const group of groups) {
    const lines = group.kind === 'chip' ? chipGroupLines(group, chips) : [nameGroupLine(group, chips)];
    for (const line of lines) {
      const offsetsTaken = taken.get(line.chip) ?? new Set<number>();
      if (offsetsTaken.has(line.offset)) {
        const how = group.kind === 'name' ? ` (again by name "${group.name}")` : '';
        throw new GpioAggError('EINVAL', `line ${line.chip.name} ${line.offset} selected twice${how}`);
      }
      offsetsTaken.add(line.offset);
      taken.set(line.chip, offsetsTaken);
      resolved.push(line);
    }
    if (resolved.length > MAX_AGGREGATOR_LINES) {
      throw new GpioAggError(
        'EINVAL',
        `too many lines: ${describeGroup(group)} brings the total to ${resolved.length}, ` +
          `at most ${MAX_AGGREGATOR_LINES} per aggregator`,
      );
    }
  }
  return resolved;
}
