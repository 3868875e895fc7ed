/**
 * The GPIO backend contract. It mirrors what the kernel's GPIO character
 * device plus libgpiod 1.x offer, so that the simulated backend and the
 * libgpiod backend are interchangeable under the aggregator layer.
 *
 * Values crossing this interface are *logical* (active-low applied), like
 * libgpiod's gpiod_line_get_value() on a line requested with ACTIVE_LOW;
 * edge events are reported the same way the kernel reports them for such a
 * request (an active-low line's physical falling edge is a "rising" event).
 */

export type Direction = 'in' | 'out';
export type Bias = 'as-is' | 'disable' | 'pull-up' | 'pull-down';
export type Drive = 'push-pull' | 'open-drain' | 'open-source';
export type Edge = 'none' | 'rising' | 'falling' | 'both';
export type Bit = 0 | 1;

export const DIRECTIONS: readonly Direction[] = ['in', 'out'];
export const BIASES: readonly Bias[] = ['as-is', 'disable', 'pull-up', 'pull-down'];
export const DRIVES: readonly Drive[] = ['push-pull', 'open-drain', 'open-source'];
export const EDGES: readonly Edge[] = ['none', 'rising', 'falling', 'both'];

export interface ChipInfo {
  /** Kernel chip name, e.g. "gpiochip0". */
  readonly name: string;
  /** Chip label, e.g. "gpio-sim.0-node0" or "pinctrl-bcm2711". */
  readonly label: string;
  /** Character device path, e.g. "/dev/gpiochip0". */
  readonly path: string;
  /** Number of lines. */
  readonly lines: number;
  /** Line names by offset; "" for an unnamed line. */
  readonly lineNames: readonly string[];
}

/** What gpioinfo shows for one line, requested or not. */
export interface LineInfo {
  readonly offset: number;
  readonly name: string;
  /** Consumer label of the current holder, "" when free. */
  readonly consumer: string;
  readonly used: boolean;
  readonly direction: Direction;
  readonly activeLow: boolean;
  readonly bias: Bias;
  readonly drive: Drive;
}

/** Full configuration of a requested line. */
export interface LineSettings {
  direction: Direction;
  activeLow: boolean;
  bias: Bias;
  drive: Drive;
  /** Edge detection; only valid while direction is "in". */
  edge: Edge;
  /**
   * Debounce period in microseconds, 0 (or absent) for none; only valid
   * while direction is "in", and only where the backend has the `debounce`
   * capability (libgpiod 2.x, GPIO uAPI v2). Backends leave it out of
   * settings() while it is 0.
   */
  debounceUs?: number;
}

export interface EdgeEvent {
  /** Kernel timestamp of the event in nanoseconds. */
  readonly timestampNs: bigint;
  /** Logical edge, as the kernel reports it for the request. */
  readonly type: 'rising' | 'falling';
  /**
   * Events of this line the kernel dropped just before this one (its queue
   * was full), as its sequence numbers reveal; absent or 0 when none.
   */
  readonly dropped?: number;
}

export type EdgeListener = (event: EdgeEvent) => void;

/**
 * A line held by gpio-aggfs. Every method either succeeds completely or
 * throws a GpioAggError and leaves the line exactly as it was.
 */
export interface LineHandle {
  readonly chip: ChipInfo;
  readonly offset: number;
  /** Current configuration as the backend holds it. */
  settings(): LineSettings;
  /** Logical value: for an output the driven value, for an input the sensed one. */
  getValue(): Bit;
  /** Drive a logical value. EPERM while the line is an input. */
  setValue(value: Bit): void;
  /**
   * Apply a whole configuration at once. `outputValue` is the logical value
   * to drive when the result is an output (ignored for inputs). Errors:
   * EINVAL (edge on an output), EOPNOTSUPP (the chip refuses bias/drive),
   * ENODEV/EIO when the chip has gone away.
   */
  configure(settings: LineSettings, outputValue?: Bit): void;
  /** Subscribe to edge events (delivered only while edge is not "none"). Returns an unsubscribe function. */
  onEdge(listener: EdgeListener): () => void;
  /** Give the line back. Idempotent. */
  release(): void;
}

/**
 * What a backend can do beyond the common contract. Tests select what they
 * run by this table, never by the backend's name.
 */
export interface BackendCapabilities {
  /** `debounceUs` in line settings (GPIO uAPI v2); without it a debounce is EOPNOTSUPP. */
  readonly debounce: boolean;
  /**
   * Edge detection changes in place (uAPI v2 reconfigure); without it the
   * line is released and requested again, leaving a short window.
   */
  readonly edgeInPlace: boolean;
  /** Edge events carry sequence numbers, so events the kernel dropped are reported. */
  readonly sequenceNumbers: boolean;
}

/** The GPIO uAPI generation a libgpiod version speaks: 1.6 → v1, 2.x → v2. */
export const CAPABILITIES: Readonly<Record<'1' | '2', BackendCapabilities>> = {
  1: { debounce: false, edgeInPlace: false, sequenceNumbers: false },
  2: { debounce: true, edgeInPlace: true, sequenceNumbers: true },
};

export interface Backend {
  /** Which backend this is, for logs and `chips` output. */
  readonly kind: 'sim' | 'libgpiod';
  /** The library that serves (or that the simulation imitates), e.g. "libgpiod 2.2.1 (libgpiod.so.3)". */
  readonly library: string;
  /** The libgpiod generation served or imitated. */
  readonly libraryGeneration: '1' | '2';
  readonly capabilities: BackendCapabilities;
  /** All chips, in chip-number order. */
  listChips(): ChipInfo[];
  /** Line info for one chip, in offset order. ENOENT for an unknown chip. */
  lineInfo(chipName: string): LineInfo[];
  /**
   * Request a line "as is" (no change to direction or value) with the given
   * consumer label. ENOENT unknown chip; EINVAL offset out of range;
   * EBUSY when already requested by anyone.
   */
  request(chipName: string, offset: number, consumer: string): LineHandle;
  /** Release everything and free resources. */
  close(): void;
}
