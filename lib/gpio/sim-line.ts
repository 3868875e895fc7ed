/**
 * One simulated GPIO line: the state that Linux 6.1 keeps for a gpio-sim line
 * (drivers/gpio/gpio-sim.c: value_map, pull_map, direction_map) together with
 * what gpiolib keeps in the line's descriptor (FLAG_IS_OUT, the request flags,
 * the consumer label) and the edge detection of a v1 line event request.
 *
 * The methods follow the kernel functions named in their comments step by
 * step, because the point of this class is to behave like the real thing,
 * quirks included:
 * - `value` is a stored bit, not derived from direction and pull. Switching
 *   an output to input leaves the last driven value in place until the pull
 *   changes or a bias is applied (gpio_sim_direction_input() only flips the
 *   direction bit).
 * - Debounce (uAPI v2, gpiolib-cdev.c debounce_irq_handler() and
 *   debounce_work_func()): every change of the level restarts a timer of
 *   the debounce period; when it expires and the level differs from the
 *   last debounced level, that becomes the new debounced level and one
 *   edge event is raised. Pulses shorter than the period raise nothing.
 * - Open drain / open source are emulated by gpiolib by switching the line
 *   to input (the driver has no such mode); gpiolib still treats the line as
 *   an output, so gpio_sim_apply_pull() does not touch its value.
 */
import { GpioAggError } from '../errors.js';
import { kernelName } from './line-name.js';
import {
  BIASES, DIRECTIONS, DRIVES, EDGES,
  type Bias, type Bit, type Drive, type Edge, type EdgeEvent, type LineInfo, type LineSettings,
} from './backend.js';

/** The words of gpio-sim's sysfs `pull` attribute. */
export type Pull = 'pull-up' | 'pull-down';
export const PULLS: readonly Pull[] = ['pull-up', 'pull-down'];

function pullLevel(pull: Pull): Bit {
  return pull === 'pull-up' ? 1 : 0;
}

/** Receives the edge events a line raises for its current request. */
export type EdgeSink = (event: EdgeEvent) => void;


interface RequestFlags {
  readonly activeLow: boolean;
  readonly bias: Bias;
  readonly drive: Drive;
}

/** The IRQ trigger of an event request; `activeLow` as it was when edge detection was set up. */
interface EdgeDetector {
  readonly edge: Edge;
  readonly activeLow: boolean;
}

const NO_FLAGS: RequestFlags = { activeLow: false, bias: 'as-is', drive: 'push-pull' };
const NO_EDGES: EdgeDetector = { edge: 'none', activeLow: false };

export class SimLine {
  readonly offset: number;
  readonly name: string;
  private readonly biasSupported: boolean;
  private readonly debounceSupported: boolean;

  // gpio-sim's per-line bits. gpio-sim starts every line as an input pulled down.
  private pullBit: Bit = 0;
  private valueBit: Bit = 0;
  private driverOutput = false;

  // gpiolib's descriptor state.
  private isOut = false;
  private holder: { readonly consumer: string; readonly sink: EdgeSink } | null = null;
  private flags: RequestFlags = NO_FLAGS;
  private detector: EdgeDetector = NO_EDGES;
  private debounceUs = 0;
  private debounceTimer: NodeJS.Timeout | null = null;
  /** The level debounce_work_func() last accepted. */
  private debouncedLevel: Bit = 0;

  constructor(offset: number, name: string, biasSupported: boolean, debounceSupported = true) {
    this.offset = offset;
    this.name = name;
    this.biasSupported = biasSupported;
    this.debounceSupported = debounceSupported;
  }

  /** Physical level, what gpio-sim's sysfs `value` attribute shows. */
  get level(): Bit {
    return this.valueBit;
  }

  get pull(): Pull {
    return this.pullBit === 1 ? 'pull-up' : 'pull-down';
  }

  info(): LineInfo {
    return {
      offset: this.offset,
      name: this.name,
      consumer: this.holder?.consumer ?? '',
      used: this.holder !== null,
      direction: this.isOut ? 'out' : 'in',
      activeLow: this.flags.activeLow,
      bias: this.flags.bias,
      drive: this.flags.drive,
    };
  }

  settings(): LineSettings {
    return {
      direction: this.isOut ? 'out' : 'in',
      activeLow: this.flags.activeLow,
      bias: this.flags.bias,
      drive: this.flags.drive,
      edge: this.detector.edge,
      ...(this.debounceUs !== 0 ? { debounceUs: this.debounceUs } : {}),
    };
  }

  /** A request "as is" (uAPI v1 linehandle with no flags): nothing about the line changes. */
  request(consumer: string, sink: EdgeSink): void {
    if (this.holder !== null) {
      throw new GpioAggError('EBUSY', `line ${this.offset} is in use by "${this.holder.consumer}"`);
    }
    // gpiod_request_commit(): an empty label becomes "?", and the direction
    // is re-read from the driver (gpiod_get_direction()).
    const label = kernelName(consumer);
    this.holder = { consumer: label === '' ? '?' : label, sink };
    this.isOut = this.driverOutput;
  }

  /** gpiod_free_commit(): gpio_sim_free() restores the value to the pull; request flags are cleared, FLAG_IS_OUT is not. */
  free(): void {
    if (this.holder === null) return;
    this.valueBit = this.pullBit;
    this.holder = null;
    this.flags = NO_FLAGS;
    this.detector = NO_EDGES;
    this.setDebounce(0);
  }

  /** gpio_sim_apply_pull(): what writing gpio-sim's `pull` attribute (or a bias) does. */
  applyPull(pull: Pull): void {
    const level = pullLevel(pull);
    if (this.holder !== null && !this.isOut) {
      if (level !== this.valueBit) {
        this.valueBit = level;
        if (this.debounceUs > 0) this.restartDebounce();
        else this.raiseEdge(level);
      }
    } else if (this.holder === null) {
      this.valueBit = level;
    }
    // A requested output keeps driving its value; only the pull changes.
    this.pullBit = level;
  }

  getValue(): Bit {
    return this.toLogical(this.valueBit);
  }

  /** gpiod_set_value(): uAPI v1 refuses unless gpiolib sees the line as an output. */
  setValue(value: Bit): void {
    if (value !== 0 && value !== 1) throw new GpioAggError('EINVAL', `line ${this.offset}: value must be 0 or 1`);
    if (!this.isOut) throw new GpioAggError('EPERM', `line ${this.offset} is an input`);
    const raw = this.toRaw(value);
    switch (this.flags.drive) {
      case 'open-drain':
        // gpio_set_open_drain_value_commit()
        if (raw === 1) this.driverOutput = false;
        else this.driveRaw(0);
        break;
      case 'open-source':
        // gpio_set_open_source_value_commit()
        if (raw === 1) this.driveRaw(1);
        else this.driverOutput = false;
        break;
      case 'push-pull':
        // gpio_sim_set()
        this.valueBit = raw;
        break;
    }
  }

  /**
   * Apply a whole configuration, or throw and change nothing. The kernel
   * validates the flags first and then applies them one by one (it can fail
   * half-way when a bias is refused); here every refusal is found up front,
   * so the line is never left half-configured.
   */
  configure(settings: LineSettings, outputValue: Bit = 0): void {
    this.validate(settings, outputValue);
    this.flags = { activeLow: settings.activeLow, bias: settings.bias, drive: settings.drive };
    if (settings.direction === 'out') {
      // Edge detection goes before the line is driven (the kernel refuses
      // to drive a line while it is an enabled IRQ).
      this.detector = NO_EDGES;
      this.setDebounce(0);
      this.directionOutput(this.toRaw(outputValue));
    } else {
      // A bias applied here raises edges under the edge detection that is
      // already in place, as the kernel's set_config does before it updates
      // the edge detector.
      this.directionInput();
      this.detector = { edge: settings.edge, activeLow: settings.activeLow };
      this.setDebounce(settings.debounceUs ?? 0);
    }
  }

  /** A new period starts from the current level (debounce_setup() samples it). */
  private setDebounce(us: number): void {
    if (this.debounceTimer !== null) clearTimeout(this.debounceTimer);
    this.debounceTimer = null;
    this.debounceUs = us;
    this.debouncedLevel = this.valueBit;
  }

  private restartDebounce(): void {
    if (this.debounceTimer !== null) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = null;
      if (this.valueBit === this.debouncedLevel) return;
      this.debouncedLevel = this.valueBit;
      this.raiseEdge(this.valueBit);
    }, Math.max(1, Math.ceil(this.debounceUs / 1000)));
    this.debounceTimer.unref();
  }

  private validate(settings: LineSettings, outputValue: Bit): void {
    const where = `line ${this.offset}`;
    if (!DIRECTIONS.includes(settings.direction)) throw new GpioAggError('EINVAL', `${where}: unknown direction "${String(settings.direction)}"`);
    if (!BIASES.includes(settings.bias)) throw new GpioAggError('EINVAL', `${where}: unknown bias "${String(settings.bias)}"`);
    if (!DRIVES.includes(settings.drive)) throw new GpioAggError('EINVAL', `${where}: unknown drive "${String(settings.drive)}"`);
    if (!EDGES.includes(settings.edge)) throw new GpioAggError('EINVAL', `${where}: unknown edge "${String(settings.edge)}"`);
    if (typeof settings.activeLow !== 'boolean') throw new GpioAggError('EINVAL', `${where}: activeLow must be a boolean`);
    if (outputValue !== 0 && outputValue !== 1) throw new GpioAggError('EINVAL', `${where}: output value must be 0 or 1`);
    if (settings.direction === 'out' && settings.edge !== 'none') {
      throw new GpioAggError('EINVAL', `${where}: edge detection needs an input, not an output`);
    }
    // linehandle_validate_flags() / lineevent_create(): drive modes are for outputs only.
    if (settings.direction === 'in' && settings.drive !== 'push-pull') {
      throw new GpioAggError('EINVAL', `${where}: drive ${settings.drive} needs an output, not an input`);
    }
    const debounceUs = settings.debounceUs ?? 0;
    if (!Number.isInteger(debounceUs) || debounceUs < 0 || debounceUs > 0xffff_ffff) {
      throw new GpioAggError('EINVAL', `${where}: debounce period must be 0 to 4294967295 µs`);
    }
    if (debounceUs !== 0 && !this.debounceSupported) {
      throw new GpioAggError('EOPNOTSUPP', `${where}: debounce needs libgpiod 2.x (GPIO uAPI v2)`);
    }
    if (debounceUs !== 0 && settings.direction === 'out') {
      throw new GpioAggError('EINVAL', `${where}: debounce needs an input, not an output`);
    }
    if (!this.biasSupported && settings.bias !== 'as-is') {
      throw new GpioAggError('EOPNOTSUPP', `${where}: the chip does not support bias ${settings.bias}`);
    }
  }

  /** gpiod_direction_input() */
  private directionInput(): void {
    this.driverOutput = false;
    this.isOut = false;
    this.applyBias();
  }

  /** gpiod_direction_output(), after the active-low inversion; gpio-sim has no hardware open drain/source. */
  private directionOutput(raw: Bit): void {
    const released = (this.flags.drive === 'open-drain' && raw === 1)
      || (this.flags.drive === 'open-source' && raw === 0);
    if (released) {
      this.directionInput();
      this.isOut = true;
      return;
    }
    this.applyBias();
    this.driveRaw(raw);
  }

  /** gpio_sim_direction_output() plus gpiolib marking the line as an output. */
  private driveRaw(raw: Bit): void {
    this.driverOutput = true;
    this.valueBit = raw;
    this.isOut = true;
  }

  /** gpio_set_bias() → gpio_sim_set_config(): only pull-up/pull-down do anything on gpio-sim. */
  private applyBias(): void {
    if (this.flags.bias === 'pull-up' || this.flags.bias === 'pull-down') this.applyPull(this.flags.bias);
  }

  /**
   * The IRQ trigger was chosen for the physical edge (lineevent_create() swaps
   * rising and falling for an active-low line), and the event reports the
   * logical edge.
   */
  private raiseEdge(newLevel: Bit): void {
    const { edge, activeLow } = this.detector;
    if (edge === 'none' || this.holder === null) return;
    const timestampNs = process.hrtime.bigint();
    const logicalRising = (newLevel === 1) !== activeLow;
    const type = logicalRising ? 'rising' : 'falling';
    if (edge === 'both' || edge === type) this.holder.sink({ timestampNs, type });
  }

  private toRaw(logical: Bit): Bit {
    return this.flags.activeLow ? (logical === 1 ? 0 : 1) : logical;
  }

  private toLogical(raw: Bit): Bit {
    return this.toRaw(raw);
  }
}
