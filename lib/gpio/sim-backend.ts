/**
 * The simulated backend: in-process chips built from a board file that
 * behave like Linux's gpio-sim driver seen through the GPIO character device
 * and libgpiod — libgpiod 2.x (uAPI v2: debounce) by default, or 1.6 (uAPI
 * v1: no debounce) with `library: '1'`; what differs is the capability
 * table CAPABILITIES in backend.ts. Besides the Backend contract it offers the
 * control side that gpio-sim exposes in sysfs and configfs (`pull`, `value`,
 * `live`), for the `.sim` files and for tests.
 */
import createDebug from 'debug';
import { GpioAggError } from '../errors.js';
import {
  type Backend, type BackendCapabilities, type Bit, CAPABILITIES, type ChipInfo, type EdgeEvent, type EdgeListener,
  type LineHandle, type LineInfo, type LineSettings,
} from './backend.js';
import type { Board, BoardChip } from './board.js';
import { SimChip } from './sim-chip.js';
import { PULLS, type Pull, type SimLine } from './sim-line.js';

const debug = createDebug('gpio-aggfs:gpio:sim');

export class SimBackend implements Backend {
  readonly kind = 'sim';
  readonly library: string;
  readonly libraryGeneration: '1' | '2';
  readonly capabilities: BackendCapabilities;
  /** Live chips by name; a removed chip is gone from here, as from /dev. */
  private readonly chips = new Map<string, SimChip>();
  private readonly handles = new Set<SimLineHandle>();
  private readonly chipListeners = new Set<() => void>();

  constructor(board: Board, options: { readonly library?: '1' | '2' } = {}) {
    this.libraryGeneration = options.library ?? '2';
    this.capabilities = CAPABILITIES[this.libraryGeneration];
    this.library = `simulated (libgpiod ${this.libraryGeneration === '2' ? '2.x' : '1.6'} semantics)`;
    board.chips.forEach((boardChip, number) => {
      const chip = new SimChip(number, boardChip, this.capabilities);
      this.chips.set(chip.name, chip);
    });
  }

  listChips(): ChipInfo[] {
    return [...this.chips.values()].sort((a, b) => a.number - b.number).map((chip) => chip.info);
  }

  lineInfo(chipName: string): LineInfo[] {
    return this.chip(chipName).lineInfo();
  }

  request(chipName: string, offset: number, consumer: string): LineHandle {
    const chip = this.chip(chipName);
    const line = chip.line(offset);
    const handle = new SimLineHandle(chip, line, (released) => this.handles.delete(released));
    try {
      line.request(consumer, (event) => handle.deliver(event));
    } catch (err) {
      debug('request %s %d by "%s" refused: %s', chipName, offset, consumer, err instanceof Error ? err.message : err);
      // Name the chip too: "gpiochip0 line 3 is in use by "gpio-aggfs"".
      if (err instanceof GpioAggError && err.code === 'EBUSY') throw new GpioAggError('EBUSY', `${chipName} ${err.message}`);
      throw err;
    }
    this.handles.add(handle);
    debug('requested %s %d by "%s"', chipName, offset, consumer);
    return handle;
  }

  /** Releases every line still held; the chips stay, so the backend can be used again. */
  close(): void {
    for (const handle of [...this.handles]) handle.release();
  }

  /** Write gpio-sim's `pull` attribute: drives an input line and may raise an edge. */
  setPull(chipName: string, offset: number, pull: Pull): void {
    const line = this.chip(chipName).line(offset);
    if (!PULLS.includes(pull)) {
      throw new GpioAggError('EINVAL', `pull must be one of ${PULLS.join(', ')}, got "${String(pull)}"`);
    }
    line.applyPull(pull);
    debug('%s %d: %s, level %d', chipName, offset, pull, line.level);
  }

  /** Read gpio-sim's `pull` attribute. */
  pull(chipName: string, offset: number): Pull {
    return this.chip(chipName).line(offset).pull;
  }

  /** Read gpio-sim's `value` attribute: the line's physical level. */
  level(chipName: string, offset: number): Bit {
    return this.chip(chipName).line(offset).level;
  }

  /**
   * Like writing 0 to gpio-sim's `live`: the chip disappears, handles on it
   * fail with ENODEV (release still works) and their listeners are dropped.
   */
  removeChip(chipName: string): void {
    const chip = this.chip(chipName);
    chip.remove();
    this.chips.delete(chipName);
    for (const handle of this.handles) {
      if (handle.chip === chip.info) handle.dropListeners();
    }
    debug('removed %s', chipName);
    this.chipsChanged();
  }

  /**
   * Like making a new gpio-sim device live: a chip with the lowest free
   * number (gpiolib's ida), `lines` unnamed lines, inputs pulled down.
   */
  addChip(chip: BoardChip): ChipInfo {
    let number = 0;
    while (this.chips.has(`gpiochip${number}`)) number += 1;
    const added = new SimChip(number, chip, this.capabilities);
    this.chips.set(added.name, added);
    debug('added %s "%s" (%d lines)', added.name, chip.label, chip.lines);
    this.chipsChanged();
    return added.info;
  }

  /** Called after a chip was added or removed. Returns an unsubscribe function. */
  onChipsChange(listener: () => void): () => void {
    this.chipListeners.add(listener);
    return () => this.chipListeners.delete(listener);
  }

  private chipsChanged(): void {
    for (const listener of [...this.chipListeners]) listener();
  }

  private chip(chipName: string): SimChip {
    const chip = this.chips.get(chipName);
    if (chip === undefined) throw new GpioAggError('ENOENT', `no GPIO chip named "${chipName}"`);
    return chip;
  }
}

interface Subscription {
  readonly listener: EdgeListener;
}

/** A line held through SimBackend.request(), like a libgpiod line request. */
class SimLineHandle implements LineHandle {
  readonly chip: ChipInfo;
  readonly offset: number;
  private readonly simChip: SimChip;
  private readonly line: SimLine;
  private readonly onRelease: (handle: SimLineHandle) => void;
  private released = false;
  /** What settings() keeps answering once the line is given back. */
  private settingsAtRelease: LineSettings | null = null;
  private readonly subscriptions = new Set<Subscription>();

  constructor(simChip: SimChip, line: SimLine, onRelease: (handle: SimLineHandle) => void) {
    this.simChip = simChip;
    this.chip = simChip.info;
    this.line = line;
    this.offset = line.offset;
    this.onRelease = onRelease;
  }

  settings(): LineSettings {
    return this.settingsAtRelease !== null ? { ...this.settingsAtRelease } : this.line.settings();
  }

  getValue(): Bit {
    this.ensureUsable();
    return this.line.getValue();
  }

  setValue(value: Bit): void {
    this.ensureUsable();
    this.line.setValue(value);
  }

  configure(settings: LineSettings, outputValue?: Bit): void {
    this.ensureUsable();
    this.line.configure(settings, outputValue);
    debug('%s %d configured %o', this.chip.name, this.offset, settings);
  }

  onEdge(listener: EdgeListener): () => void {
    const subscription: Subscription = { listener };
    if (!this.released && this.simChip.isLive) this.subscriptions.add(subscription);
    return () => {
      this.subscriptions.delete(subscription);
    };
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.settingsAtRelease = this.line.settings();
    this.subscriptions.clear();
    this.line.free();
    this.onRelease(this);
    debug('released %s %d', this.chip.name, this.offset);
  }

  /**
   * Events reach listeners later, in the order they happened, like events the
   * kernel's IRQ thread queues for a reader. One still queued when its
   * listener goes away (unsubscribe, release, chip removal) is dropped, as
   * closing a request discards its unread events.
   */
  deliver(event: EdgeEvent): void {
    for (const subscription of this.subscriptions) {
      queueMicrotask(() => {
        if (this.subscriptions.has(subscription)) subscription.listener(event);
      });
    }
  }

  dropListeners(): void {
    this.subscriptions.clear();
  }

  /** libgpiod answers EPERM for a line that is no longer requested; the kernel ENODEV once the chip is gone. */
  private ensureUsable(): void {
    if (this.released) {
      throw new GpioAggError('EPERM', `${this.chip.name} line ${this.offset} has been released`);
    }
    if (!this.simChip.isLive) {
      throw new GpioAggError('ENODEV', `${this.chip.name} has been removed`);
    }
  }
}
