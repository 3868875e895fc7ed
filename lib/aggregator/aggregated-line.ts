import createDebug from 'debug';
import { GpioAggError } from '../errors.js';
import {
  BIASES, DRIVES, EDGES,
  type BackendCapabilities, type Bit, type Bias, type Drive, type Edge, type EdgeListener, type LineHandle, type LineSettings,
  CAPABILITIES,
} from '../gpio/backend.js';
import { parseChoice, parseKernelLong } from './sysfs-input.js';

const log = createDebug('gpio-aggfs:line');

const DIRECTION_WORDS = ['in', 'out', 'low', 'high'] as const;
/** The debounce period is a __u32 of microseconds in the GPIO uAPI v2. */
const MAX_DEBOUNCE_US = 0xffff_ffffn;

/**
 * One line of an aggregator: the sysfs attribute semantics of
 * drivers/gpio/gpiolib-sysfs.c on top of a held backend line.
 *
 * `drive` is kept here as the user's choice and handed to the backend only
 * while the line is an output: the GPIO uAPI accepts open-drain/open-source
 * only on outputs, and sysfs users expect the setting to stick across a
 * direction change.
 */
export class AggregatedLine {
  private drivePreference: Drive;

  constructor(readonly handle: LineHandle, private readonly capabilities: BackendCapabilities = CAPABILITIES[2]) {
    this.drivePreference = handle.settings().drive;
  }

  get chipName(): string { return this.handle.chip.name; }
  get offset(): number { return this.handle.offset; }
  get name(): string { return this.handle.chip.lineNames[this.handle.offset] ?? ''; }
  get source(): string { return `${this.handle.chip.name} ${this.handle.offset}`; }

  direction(): 'in' | 'out' { return this.handle.settings().direction; }
  activeLow(): boolean { return this.handle.settings().activeLow; }
  edge(): Edge { return this.handle.settings().edge; }
  bias(): Bias { return this.handle.settings().bias; }
  drive(): Drive { return this.drivePreference; }
  value(): Bit { return this.handle.getValue(); }
  debounceUs(): number { return this.handle.settings().debounceUs ?? 0; }

  /** `in`; `out`/`low` drive physical 0; `high` drives physical 1 (gpiolib-sysfs direction_store). */
  writeDirection(input: string): void {
    const word = parseChoice(input, DIRECTION_WORDS, 'direction');
    const current = this.handle.settings();
    if (word === 'in') {
      if (current.direction === 'in') return;
      this.apply({ ...current, direction: 'in', drive: 'push-pull' });
      return;
    }
    if (current.edge !== 'none') {
      throw new GpioAggError('EIO', `cannot make ${this.source} an output while edge is "${current.edge}"`);
    }
    if ((current.debounceUs ?? 0) !== 0) {
      throw new GpioAggError('EIO', `cannot make ${this.source} an output while debounce_us is ${current.debounceUs}`);
    }
    const physical: Bit = word === 'high' ? 1 : 0;
    this.apply({ ...current, direction: 'out', drive: this.drivePreference }, this.logicalFor(physical, current.activeLow));
  }

  /** Writing an input is EPERM before the text is even parsed, as in value_store(). */
  writeValue(input: string): void {
    if (this.direction() !== 'out') {
      throw new GpioAggError('EPERM', `${this.source} is an input; set direction to out first`);
    }
    const value: Bit = parseKernelLong(input) !== 0n ? 1 : 0;
    this.handle.setValue(value);
  }

  /** Changes only how the level is interpreted; an output keeps its physical level. */
  writeActiveLow(input: string): void {
    const activeLow = parseKernelLong(input) !== 0n;
    const current = this.handle.settings();
    if (current.activeLow === activeLow) return;
    if (current.direction === 'out') {
      const physical = this.physicalFrom(this.handle.getValue(), current.activeLow);
      this.apply({ ...current, activeLow }, this.logicalFor(physical, activeLow));
    } else {
      this.apply({ ...current, activeLow });
    }
  }

  writeEdge(input: string): void {
    const edge = parseChoice(input, EDGES, 'edge');
    const current = this.handle.settings();
    if (edge === current.edge) return;
    if (edge !== 'none' && current.direction === 'out') {
      throw new GpioAggError('EIO', `cannot detect edges on ${this.source}: it is an output`);
    }
    this.apply({ ...current, edge });
  }

  /**
   * `debounce_us`: the debounce period in µs (kstrtoul-style integer), 0
   * for none; only on an input (EIO on an output, like `edge`), and only
   * with GPIO uAPI v2 (EOPNOTSUPP under libgpiod 1.6, for any value).
   */
  writeDebounce(input: string): void {
    if (!this.capabilities.debounce) {
      throw new GpioAggError('EOPNOTSUPP', `debounce on ${this.source} needs libgpiod 2.x (GPIO uAPI v2)`);
    }
    const period = parseKernelLong(input);
    if (period < 0n || period > MAX_DEBOUNCE_US) {
      throw new GpioAggError('EINVAL', `debounce_us must be 0 to ${MAX_DEBOUNCE_US}, got ${period}`);
    }
    const debounceUs = Number(period);
    const current = this.handle.settings();
    if (debounceUs === (current.debounceUs ?? 0)) return;
    if (current.direction === 'out') {
      throw new GpioAggError('EIO', `cannot debounce ${this.source}: it is an output`);
    }
    this.apply({ ...current, debounceUs });
  }

  writeBias(input: string): void {
    const bias = parseChoice(input, BIASES, 'bias');
    const current = this.handle.settings();
    if (bias === current.bias) return;
    this.applyKeepingOutput({ ...current, bias });
  }

  writeDrive(input: string): void {
    const drive = parseChoice(input, DRIVES, 'drive');
    const current = this.handle.settings();
    if (current.direction === 'out' && current.drive !== drive) {
      this.applyKeepingOutput({ ...current, drive });
    }
    this.drivePreference = drive;
  }

  onEdge(listener: EdgeListener): () => void {
    return this.handle.onEdge(listener);
  }

  release(): void {
    this.handle.release();
  }

  private applyKeepingOutput(settings: LineSettings): void {
    if (settings.direction === 'out') this.apply(settings, this.handle.getValue());
    else this.apply(settings);
  }

  private apply(settings: LineSettings, outputValue?: Bit): void {
    log('%s configure %o value=%s', this.source, settings, outputValue);
    this.handle.configure(settings, outputValue);
  }

  private logicalFor(physical: Bit, activeLow: boolean): Bit {
    return (activeLow ? physical ^ 1 : physical) as Bit;
  }

  private physicalFrom(logical: Bit, activeLow: boolean): Bit {
    return (activeLow ? logical ^ 1 : logical) as Bit;
  }
}
