/**
 * A line held through libgpiod 2.x (GPIO uAPI v2): one line request, one
 * descriptor. Everything about the line — direction, active-low, bias,
 * drive, edge detection, debounce — changes in place with
 * gpiod_line_request_reconfigure_lines(): the line is never released while
 * gpio-aggfs holds it, so no other process can take it in between.
 */
import createDebug from 'debug';
import { GpioAggError } from '../errors.js';
import type { Bit, ChipInfo, EdgeEvent, EdgeListener, LineHandle, LineSettings } from './backend.js';
import { BIASES, DIRECTIONS, DRIVES, EDGES } from './backend.js';
import type { EdgeWatcher } from './edge-reader.js';
import { type GpiodChip, type GpiodLineRequest, type Libgpiod2Api, libgpiod2Error } from './libgpiod2-ffi.js';
import { Libgpiod2EventReader, type LineSequence } from './libgpiod2-event-reader.js';
import { biasOf, driveOf, isOutputCode, lineConfig, requestConfig } from './libgpiod2-settings.js';

const log = createDebug('gpio-aggfs:gpio:libgpiod2');

/** The largest debounce period the uAPI carries (a __u32 of microseconds). */
export const MAX_DEBOUNCE_US = 0xffff_ffff;

const toBit = (v: number): Bit => (v ? 1 : 0);

function normalized(s: LineSettings): Required<LineSettings> {
  return { ...s, debounceUs: s.debounceUs ?? 0 };
}

function sameSettings(a: Required<LineSettings>, b: Required<LineSettings>): boolean {
  return a.direction === b.direction && a.activeLow === b.activeLow && a.bias === b.bias
    && a.drive === b.drive && a.edge === b.edge && a.debounceUs === b.debounceUs;
}

function validate(s: Required<LineSettings>): void {
  if (!DIRECTIONS.includes(s.direction) || !BIASES.includes(s.bias) || !DRIVES.includes(s.drive)
    || !EDGES.includes(s.edge) || typeof s.activeLow !== 'boolean'
    || !Number.isInteger(s.debounceUs) || s.debounceUs < 0 || s.debounceUs > MAX_DEBOUNCE_US) {
    throw new GpioAggError('EINVAL', `invalid line settings ${JSON.stringify(s)}`);
  }
  if (s.direction === 'out' && s.edge !== 'none') {
    throw new GpioAggError('EINVAL', `edge ${s.edge} needs an input line`);
  }
  if (s.direction === 'out' && s.debounceUs !== 0) {
    throw new GpioAggError('EINVAL', 'debounce needs an input line');
  }
}

export class Libgpiod2Line implements LineHandle {
  readonly chip: ChipInfo;
  readonly offset: number;
  readonly #api: Libgpiod2Api;
  readonly #request: GpiodLineRequest;
  readonly #watcher: EdgeWatcher;
  readonly #onRelease: () => void;
  readonly #listeners = new Set<EdgeListener>();
  #settings: Required<LineSettings>;
  #events: { reader: Libgpiod2EventReader; stop: () => void } | null = null;
  /** The request's line sequence numbers, across every reader it has (see LineSequence). */
  readonly #sequence: LineSequence = { last: 0 };
  /** Why the line is no longer held, or null while it is. */
  #gone: GpioAggError | null = null;

  /** Request the line "as is": neither direction nor value changes. The caller has checked chip and offset. */
  static request(
    api: Libgpiod2Api, chipPtr: GpiodChip, chip: ChipInfo, offset: number, consumer: string,
    watcher: EdgeWatcher, onRelease: () => void,
  ): Libgpiod2Line {
    const where = `${chip.name} line ${offset}`;
    const reqCfg = requestConfig(api, consumer);
    let request: GpiodLineRequest | null;
    try {
      const lineCfg = lineConfig(api, offset, null);
      try {
        request = api.gpiod_chip_request_lines(chipPtr, reqCfg.ptr, lineCfg.ptr);
        if (request === null) throw libgpiod2Error(`requesting ${where}`);
      } finally {
        lineCfg.free();
      }
    } finally {
      reqCfg.free();
    }
    let output = false;
    const info = api.gpiod_chip_get_line_info(chipPtr, offset);
    if (info !== null) {
      output = isOutputCode(api.gpiod_line_info_get_direction(info));
      api.gpiod_line_info_free(info);
    } else {
      const error = libgpiod2Error(`reading line info of ${where}`);
      api.gpiod_line_request_release(request);
      throw error;
    }
    const handle = new Libgpiod2Line(api, request, chip, offset, watcher, onRelease, {
      direction: output ? 'out' : 'in', activeLow: false, bias: 'as-is', drive: 'push-pull', edge: 'none', debounceUs: 0,
    });
    log('requested %s as is (%s) for %s', where, handle.#settings.direction, consumer);
    return handle;
  }

  private constructor(
    api: Libgpiod2Api, request: GpiodLineRequest, chip: ChipInfo, offset: number,
    watcher: EdgeWatcher, onRelease: () => void, settings: Required<LineSettings>,
  ) {
    this.#api = api;
    this.#request = request;
    this.chip = chip;
    this.offset = offset;
    this.#watcher = watcher;
    this.#onRelease = onRelease;
    this.#settings = settings;
  }

  settings(): LineSettings {
    const { debounceUs, ...rest } = this.#settings;
    return debounceUs !== 0 ? { ...rest, debounceUs } : rest;
  }

  getValue(): Bit {
    this.#assertHeld();
    const value = this.#api.gpiod_line_request_get_value(this.#request, this.offset);
    if (value < 0) throw libgpiod2Error(`reading ${this.#where()}`);
    return toBit(value);
  }

  setValue(value: Bit): void {
    this.#assertHeld();
    if (this.#settings.direction !== 'out') {
      throw new GpioAggError('EPERM', `${this.#where()} is an input`);
    }
    if (this.#api.gpiod_line_request_set_value(this.#request, this.offset, value ? 1 : 0) < 0) {
      throw libgpiod2Error(`writing ${this.#where()}`);
    }
  }

  configure(settings: LineSettings, outputValue?: Bit): void {
    this.#assertHeld();
    const next = normalized(settings);
    validate(next);
    const value = next.direction === 'out' ? this.#valueToDrive(next, outputValue) : undefined;
    if (sameSettings(next, this.#settings) && (value === undefined || value === this.getValue())) return;
    const previous = this.#settings;
    const previousValue = previous.direction === 'out' ? this.getValue() : undefined;
    const error = this.#reconfigure(next, value);
    if (error) {
      // The kernel applies a configuration line by line and flag by flag: a
      // refused change can be half done, so put the previous one back.
      const restoreError = this.#reconfigure(previous, previousValue);
      if (restoreError) log('%s: restoring the previous configuration failed: %s', this.#where(), restoreError.message);
      throw error;
    }
    this.#settings = next;
    if (next.edge !== 'none') this.#watch();
    else this.#unwatch();
    log('%s configured in place %o%s', this.#where(), next, value === undefined ? '' : ` driving ${value}`);
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
    this.#api.gpiod_line_request_release(this.#request);
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

  #reconfigure(settings: Required<LineSettings>, value: Bit | undefined): GpioAggError | null {
    let config;
    try {
      config = lineConfig(this.#api, this.offset, settings, value ?? 0);
    } catch (err) {
      return err instanceof GpioAggError ? err : new GpioAggError('EIO', String(err));
    }
    try {
      if (this.#api.gpiod_line_request_reconfigure_lines(this.#request, config.ptr) < 0) {
        return libgpiod2Error(`configuring ${this.#where()}`);
      }
      return null;
    } finally {
      config.free();
    }
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

  #watch(): void {
    if (this.#events) return;
    const fd = this.#api.gpiod_line_request_get_fd(this.#request);
    const reader = new Libgpiod2EventReader(this.#api, this.#request, this.#sequence);
    try {
      const stop = this.#watcher.watch(fd, (events) => this.#deliver(events), (err) => {
        log('%s: edge events stopped: %s', this.#where(), err.message);
        this.#events?.reader.free();
        this.#events = null;
      }, () => reader.read());
      this.#events = { reader, stop };
    } catch (err) {
      reader.free();
      throw err;
    }
  }

  #unwatch(): void {
    const events = this.#events;
    if (!events) return;
    this.#events = null;
    events.stop();
    events.reader.free();
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
