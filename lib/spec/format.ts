/**
 * The normalised spec: the canonical text of a resolved spec, shown in
 * `agg/devices` and each aggregator's `spec` file. It re-parses and
 * re-resolves to the same lines in the same order. No lines give "".
 *
 * Each run of consecutive lines on the same chip with rising offsets becomes
 * `<chip name> <offset list>`; lines picked by name or label appear under
 * their chip's name, which is stable and beats any label when resolved.
 * A run ends where the offset falls, because a chip group always comes out
 * ascending: `BUTTON LED0` (gpiochip0 3, then 0) is `gpiochip0 3 gpiochip0 0`.
 */
import type { ChipInfo } from '../gpio/backend.js';
import { formatOffsetList } from './offsets.js';
import type { ResolvedLine } from './resolve.js';
import { quoteToken } from './tokenize.js';

interface Run {
  readonly chip: ChipInfo;
  readonly offsets: number[];
}

/** Whether a line can join the run before it without changing the order on re-parse. */
function continuesRun(run: Run | undefined, line: ResolvedLine): run is Run {
  if (run === undefined || run.chip.name !== line.chip.name) return false;
  const lastOffset = run.offsets.at(-1);
  return lastOffset !== undefined && line.offset > lastOffset;
}

export function formatSpec(lines: readonly ResolvedLine[]): string {
  const runs: Run[] = [];
  for (const line of lines) {
    const current = runs.at(-1);
    if (continuesRun(current, line)) {
      current.offsets.push(line.offset);
    } else {
      runs.push({ chip: line.chip, offsets: [line.offset] });
    }
  }
  return runs.map((run) => `${quoteToken(run.chip.name)} ${formatOffsetList(run.offsets)}`).join(' ');
}
