/**
 * One simulated GPIO chip: a gpio-sim bank as /dev/gpiochipN shows it, and
 * whether it is still live (gpio-sim's configfs `live` attribute).
 */
import { GpioAggError } from '../errors.js';
import type { BackendCapabilities, ChipInfo, LineInfo } from './backend.js';
import type { BoardChip } from './board.js';
import { kernelName } from './line-name.js';
import { SimLine } from './sim-line.js';

export class SimChip {
  readonly info: ChipInfo;
  private readonly lines: readonly SimLine[];
  private live = true;

  constructor(readonly number: number, board: BoardChip, capabilities: BackendCapabilities) {
    const name = `gpiochip${number}`;
    // Served as the kernel serves gpio-sim's names: cut to its name field.
    const lineNames = board.lineNames.map(kernelName);
    this.info = Object.freeze({
      name,
      label: kernelName(board.label),
      path: `/dev/${name}`,
      lines: board.lines,
      lineNames: Object.freeze(lineNames),
    });
    this.lines = lineNames.map((lineName, offset) => new SimLine(offset, lineName, board.bias, capabilities.debounce));
  }

  get name(): string {
    return this.info.name;
  }

  get isLive(): boolean {
    return this.live;
  }

  /** EINVAL for an offset the chip does not have, as the kernel answers a request for one. */
  line(offset: number): SimLine {
    const line = Number.isInteger(offset) ? this.lines[offset] : undefined;
    if (line === undefined) {
      throw new GpioAggError('EINVAL', `${this.name} has no line ${String(offset)} (it has ${this.lines.length})`);
    }
    return line;
  }

  lineInfo(): LineInfo[] {
    return this.lines.map((line) => line.info());
  }

  /** Like writing 0 to gpio-sim's `live`: the chip goes away for good. */
  remove(): void {
    this.live = false;
  }
}
