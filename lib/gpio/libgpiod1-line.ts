/**
 * A line held through node-libgpiod (libgpiod 1.6, GPIO uAPI v1).
 *
 * With uAPI v1 a line is held either by a "handle" request (values; its
 * direction, active-low, bias and drive can be changed in place with
 * GPIOHANDLE_SET_CONFIG_IOCTL) or by an "event" request (input with edge
 * detection; nothing about it can be changed in place). Which one this line
 * holds follows from its edge setting.
 */
import createDebug from 'debug';
import gpiod from 'node-libgpiod';
import { GpioAggError, fromSystemError } from '../errors.js';
import type { Bit, ChipInfo, EdgeEvent, EdgeListener, LineHandle, LineSettings } from './backend.js';
import { BIASES, DIRECTIONS, DRIVES, EDGES } from './backend.js';
import { type EdgeWatcher, findNewEventFd, gpioEventFds } from './edge-reader.js';
import { fromKernelText } from './line-name.js';

const log = createDebug('gpio-aggfs:gpio:libgpiod');

/**
 * The part of node-libgpiod's Line used here, typed as it behaves at run
 * time (its own .d.ts types the getters as the constant tables).
 */
export interface NativeLine {
  readonly offset: number;
  readonly name: string | undefined;
  readonly consumer: string | undefined;
  readonly direction: number;
  readonly activeState: number;
  readonly bias: number;
  readonly used: boolean;
  readonly openDrain: boolean;
  readonly openSource: boolean;
  update(): void;
  getValue(): number;
  setValue(value: number): void;
  lineRequest(config: { consumer: string; requestType: number; flags: number }, defaultValue?: number): void;
  release(): void;
}

/** The part of node-libgpiod's Bulk used here (a bulk of exactly this one line). */
export interface NativeBulk {
  updateConfig(direction: number, flags: number, values?: number[]): void;
}

/**
 * The native wrappers of one line. Both release the line when garbage
 * collected, so the backend creates them once per chip line and keeps them.
 */
export interface NativeLineWrappers {
  readonly line: NativeLine;
  readonly bulk: NativeBulk;
}

const { Direction: REQUEST, Event: EVENT_REQUEST } = gpiod.Line.RequestType;
const FLAG = gpiod.Line.RequestFlags;
const LINE_DIRECTION_OUTPUT = gpiod.Line.Direction.OUTPUT;

/** Linux's internal ENOTSUPP (524) can leak out of drivers; Node names 95 "ENOTSUP". */
const NOT_SUPPORTED = new Set<unknown>(['ENOTSUP', 'ENOTSUPP', 'EOPNOTSUPP', 524]);

/** Map an error from node-libgpiod to the errno gpio-aggfs reports. */
export function libgpiodError(err: unknown, context: string): GpioAggError {
  const { code, errno } = (err ?? {}) as { code?: unknown; errno?: unknown };
  if (NOT_SUPPORTED.has(code) || NOT_SUPPORTED.has(errno)) {
    const detail = err instanceof Error ? err.message : String(err);
    return new GpioAggError('EOPNOTSUPP', `${context}: ${detail}`, { cause: err });
  }
  return fromSystemError(err, context);
}

/** EBUSY naming the chip, the line and who holds it (the kernel's consumer label). */
function busyError(where: string, line: NativeLine): GpioAggError {
  let holder = '';
  try {
    line.update();
    holder = fromKernelText(line.consumer ?? '');
  } catch {
    // Who holds it is a detail; the line being busy is the answer.
  }
  return new GpioAggError('EBUSY', `${where} is in use by ${holder === '' ? 'another program' : `"${holder}"`}`);
}

function requestFlags(s: LineSettings): number {
  let flags = s.activeLow ? FLAG.ACTIVE_LOW : 0;
  if (s.bias === 'disable') flags |= FLAG.BIAS_DISABLE;
  else if (s.bias === 'pull-up') flags |= FLAG.BIAS_PULL_UP;
  else if (s.bias === 'pull-down') flags |= FLAG.BIAS_PULL_DOWN;
  // The kernel accepts drive flags on output requests only; for an input the
  // drive stays a setting applied when the line becomes an output.
  if (s.direction === 'out') {
    if (s.drive === 'open-drain') flags |= FLAG.OPEN_DRAIN;
    else if (s.drive === 'open-source') flags |= FLAG.OPEN_SOURCE;
  }
  return flags;
}

function requestType(s: LineSettings): number {
  switch (s.edge) {
    case 'rising': return EVENT_REQUEST.RISING_EDGE;
    case 'falling': return EVENT_REQUEST.FALLING_EDGE;
    case 'both': return EVENT_REQUEST.BOTH_EDGES;
    case 'none': return s.direction === 'out' ? REQUEST.OUTPUT : REQUEST.INPUT;
  }
}

function sameSettings(a: LineSettings, b: LineSettings): boolean {
  // debounceUs is always 0 here (validate refuses anything else).
  return a.direction === b.direction && a.activeLow === b.activeLow && a.bias === b.bias
    && a.drive === b.drive && a.edge === b.edge;
}

function validate(s: LineSettings): void {
  if (!DIRECTIONS.includes(s.direction) || !BIASES.includes(s.bias) || !DRIVES.includes(s.drive)
    || !EDGES.includes(s.edge) || typeof s.activeLow !== 'boolean') {
    throw new GpioAggError('EINVAL', `invalid line settings ${JSON.stringify(s)}`);
  }
  if (s.edge !== 'none' && s.direction === 'out') {
    throw new GpioAggError('EINVAL', `edge ${s.edge} needs an input line`);
  }
  if ((s.debounceUs ?? 0) !== 0) {
    throw new GpioAggError('EOPNOTSUPP', 'debounce needs libgpiod 2.x (GPIO uAPI v2); libgpiod 1.6 serves');
  }
}

const toBit = (v: number): Bit => (v ? 1 : 0);

export class LibgpiodLine implements LineHandle {
  readonly chip: ChipInfo;
  readonly offset: number;
  readonly #native: NativeLineWrappers;
  readonly #consumer: string;
  readonly #watcher: EdgeWatcher;
  readonly #onRelease: () => void;
  readonly #listeners = new Set<EdgeListener>();
  #settings: LineSettings;
  #stopEvents: (() => void) | null = null;
  #eventFd: number | null = null;
  /** Why the line is no longer held, or null while it is. */
  #gone: GpioAggError | null = null;

  /**
   * Request the line "as is": neither direction nor value changes. The
   * caller has checked chip and offset.
   */
  static request(
    chip: ChipInfo, offset: number, consumer: string, native: NativeLineWrappers,
    watcher: EdgeWatcher, onRelease: () => void,
  ): LibgpiodLine {
    const where = `${chip.name} line ${offset}`;
    try {
      native.line.lineRequest({ consumer, requestType: REQUEST.AS_IS, flags: 0 });
    } catch (err) {
      const error = libgpiodError(err, `requesting ${where}`);
      if (error.code === 'EBUSY') throw busyError(where, native.line);
      throw error;
    }
    // libgpiod refreshes the line info after a request.
    const output = native.line.direction === LINE_DIRECTION_OUTPUT;
    const handle = new LibgpiodLine(chip, offset, consumer, native, watcher, onRelease, {
      direction: output ? 'out' : 'in', activeLow: false, bias: 'as-is', drive: 'push-pull', edge: 'none',
    });
    if (output) {
      // A v1 handle requested as-is is not an output handle: libgpiod and
      // older kernels refuse to set values through it. Re-configure it in
      // place (SET_CONFIG, the line stays held) as an output driving the
      // value it already has, so nothing on the pin changes.
      try {
        const value = native.line.getValue();
        native.bulk.updateConfig(REQUEST.OUTPUT, 0, [value]);
        log('%s was an output driving %d; handle re-configured as output', where, value);
      } catch (err) {
        handle.release();
        throw libgpiodError(err, `keeping ${where} an output`);
      }
    }
    log('requested %s as is (%s) for %s', where, handle.#settings.direction, consumer);
    return handle;
  }

  private constructor(
    chip: ChipInfo, offset: number, consumer: string, native: NativeLineWrappers,
    watcher: EdgeWatcher, onRelease: () => void, settings: LineSettings,
  ) {
    this.chip = chip;
    this.offset = offset;
    this.#consumer = consumer;
    this.#native = native;
    this.#watcher = watcher;
    this.#onRelease = onRelease;
    this.#settings = settings;
  }

  settings(): LineSettings {
    return { ...this.#settings };
  }

  getValue(): Bit {
    this.#assertHeld();
    try {
      return toBit(this.#native.line.getValue());
    } catch (err) {
      throw libgpiodError(err, `reading ${this.#where()}`);
    }
  }

  setValue(value: Bit): void {
    this.#assertHeld();
    if (this.#settings.direction !== 'out') {
      throw new GpioAggError('EPERM', `${this.#where()} is an input`);
    }
    try {
      this.#native.line.setValue(value ? 1 : 0);
    } catch (err) {
      throw libgpiodError(err, `writing ${this.#where()}`);
    }
  }

  configure(settings: LineSettings, outputValue?: Bit): void {
    this.#assertHeld();
    validate(settings);
    const { debounceUs: _none, ...next } = settings;
    const current = this.#settings;
    const value = next.direction === 'out' ? this.#valueToDrive(next, outputValue) : undefined;
    if (sameSettings(next, current) && (value === undefined || value === this.getValue())) return;
    if (next.edge === 'none' && current.edge === 'none') this.#setConfig(next, value);
    else this.#rerequest(next, value);
    log('%s configured %o%s', this.#where(), next, value === undefined ? '' : ` driving ${value}`);
  }

  onEdge(listener: EdgeListener): () => void {
    // Wrapped so that subscribing the same function twice gives two subscriptions.
    const entry: EdgeListener = (event) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  release(): void {
    if (this.#gone) return;
    this.#gone = new GpioAggError('EBADF', `${this.#where()} has been released`);
    this.#unwatch();
    this.#native.line.release();
    this.#listeners.clear();
    this.#onRelease();
    log('released %s', this.#where());
  }

  #where(): string {
    return `${this.chip.name} line ${this.offset}`;
  }

  #assertHeld(): void {
    if (this.#gone) throw this.#gone;
  }

  /**
   * The logical value an output should drive: the one asked for, otherwise
   * the physical level an output already drives (so changing active_low or
   * bias does not make the pin jump), otherwise inactive.
   */
  #valueToDrive(next: LineSettings, requested: Bit | undefined): Bit {
    if (requested !== undefined) return requested ? 1 : 0;
    if (this.#settings.direction !== 'out') return 0;
    const physical = this.getValue() ^ (this.#settings.activeLow ? 1 : 0);
    return toBit(physical ^ (next.activeLow ? 1 : 0));
  }

  /** Change a handle request in place (GPIOHANDLE_SET_CONFIG_IOCTL). */
  #setConfig(next: LineSettings, value: Bit | undefined): void {
    const previous = this.#settings;
    const previousValue = previous.direction === 'out' ? this.getValue() : undefined;
    try {
      this.#native.bulk.updateConfig(requestType(next), requestFlags(next), value === undefined ? undefined : [value]);
    } catch (err) {
      const error = libgpiodError(err, `configuring ${this.#where()}`);
      // The kernel applies flags before the direction, so a refused change
      // can be half done: put the previous configuration back.
      try {
        this.#native.bulk.updateConfig(
          requestType(previous), requestFlags(previous), previousValue === undefined ? undefined : [previousValue],
        );
      } catch (restoreErr) {
        log('%s: restoring the previous configuration failed: %s', this.#where(), String(restoreErr));
      }
      throw error;
    }
    this.#settings = next;
  }

  /**
   * Replace the request. uAPI v1 cannot add, remove or change edge
   * detection on a held line (nor change anything of an event request), so
   * the line is released and requested again, back to back in this one
   * synchronous step. For the few microseconds between the release and the
   * new request the line is free in the kernel: another process requesting
   * exactly then would get it, and the pin is undriven (only inputs are
   * involved — an output has no edge — so no driven level is lost). If the
   * new request fails the previous one is restored and the error thrown; if
   * even that fails the line is lost and every later call reports it.
   */
  #rerequest(next: LineSettings, value: Bit | undefined): void {
    const previous = this.#settings;
    const previousValue = previous.direction === 'out' ? this.getValue() : undefined;
    // Everything that can be prepared is prepared before the window opens.
    const before = gpioEventFds();
    if (this.#eventFd !== null) before.delete(this.#eventFd);
    const nextConfig = { consumer: this.#consumer, requestType: requestType(next), flags: requestFlags(next) };
    this.#unwatch();

    this.#native.line.release(); // ── window opens
    try {
      this.#native.line.lineRequest(nextConfig, value ?? 0); // ── window closes
      if (next.edge !== 'none') this.#watch(before);
    } catch (err) {
      const error = err instanceof GpioAggError ? err : libgpiodError(err, `requesting ${this.#where()} for ${next.edge === 'none' ? next.direction : `${next.edge} edges`}`);
      this.#restore(previous, previousValue, before);
      throw error;
    }
    this.#settings = next;
  }

  #restore(previous: LineSettings, previousValue: Bit | undefined, before: Set<number>): void {
    this.#unwatch();
    this.#native.line.release();
    try {
      this.#native.line.lineRequest(
        { consumer: this.#consumer, requestType: requestType(previous), flags: requestFlags(previous) },
        previousValue ?? 0,
      );
      if (previous.edge !== 'none') this.#watch(before);
    } catch (err) {
      this.#native.line.release();
      const lost = libgpiodError(err, `${this.#where()} was lost while changing its request`);
      log('%s', lost.message);
      this.#gone = lost;
      this.#listeners.clear();
      this.#onRelease();
    }
  }

  #watch(before: ReadonlySet<number>): void {
    const fd = findNewEventFd(before);
    this.#stopEvents = this.#watcher.watch(fd, (events) => this.#deliver(events), (err) => {
      log('%s: edge events stopped: %s', this.#where(), err.message);
      this.#stopEvents = null;
      this.#eventFd = null;
    });
    this.#eventFd = fd;
  }

  #unwatch(): void {
    this.#stopEvents?.();
    this.#stopEvents = null;
    this.#eventFd = null;
  }

  #deliver(events: EdgeEvent[]): void {
    for (const event of events) {
      for (const listener of [...this.#listeners]) {
        try {
          listener(event);
        } catch (err) {
          log('%s: edge listener threw: %s', this.#where(), err instanceof Error ? err.stack : String(err));
        }
      }
    }
  }
}
