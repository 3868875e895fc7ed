/**
 * The backend for real GPIO chips, through node-libgpiod (libgpiod 1.6).
 *
 * node-libgpiod ties line requests to the lifetime of its JS wrappers:
 * - a collected `Chip` closes the chip and silently releases its lines;
 * - a collected `Line` or `Bulk` releases its line — and libgpiod hands out
 *   one shared line object per chip offset, so a throw-away wrapper would
 *   release a line held through another one;
 * - `Chip#lineNames` releases every line of the chip.
 * So this backend opens each chip once, creates the wrappers of a line once
 * and keeps all of them for as long as it is open, and never reads
 * `lineNames`.
 */
import createDebug from 'debug';
import gpiod from 'node-libgpiod';
import { GpioAggError } from '../errors.js';
import { type Backend, type Bias, CAPABILITIES, type ChipInfo, type Drive, type LineHandle, type LineInfo } from './backend.js';
import { EdgeWatcher } from './edge-reader.js';
import { fromKernelText } from './line-name.js';
import { LibgpiodLine, type NativeBulk, type NativeLine, type NativeLineWrappers, libgpiodError } from './libgpiod1-line.js';

const log = createDebug('gpio-aggfs:gpio:libgpiod');

type NativeChip = InstanceType<typeof gpiod.Chip>;

/**
 * When the last reference to a chip and its line wrappers goes (after
 * `close()`), V8 may finalize the chip first; the wrappers' destructors
 * would then release lines that libgpiod has already freed. Registering
 * each wrapper here keeps its chip alive until the wrapper itself has been
 * collected. This holds no application state; it only orders native
 * teardown, and must outlive any backend instance.
 */
const chipOutlivesWrappers = new FinalizationRegistry<NativeChip>(() => {});

interface ChipEntry {
  readonly chip: NativeChip;
  readonly info: ChipInfo;
  /** Wrappers by offset, created on first use and kept (see above). */
  readonly wrappers: Map<number, NativeLineWrappers>;
  readonly held: Map<number, LibgpiodLine>;
}

const chipNumber = (name: string): number => Number(/(\d+)$/.exec(name)?.[1] ?? Number.MAX_SAFE_INTEGER);

const BIAS_BY_CODE: ReadonlyMap<number, Bias> = new Map([
  [gpiod.Line.Bias.AS_IS, 'as-is'],
  [gpiod.Line.Bias.DISABLE, 'disable'],
  [gpiod.Line.Bias.PULL_UP, 'pull-up'],
  [gpiod.Line.Bias.PULL_DOWN, 'pull-down'],
]);

export class LibgpiodBackend implements Backend {
  readonly kind = 'libgpiod';
  readonly library = `libgpiod ${gpiod.version} (node-libgpiod)`;
  readonly libraryGeneration = '1';
  readonly capabilities = CAPABILITIES[1];
  readonly #chips = new Map<string, ChipEntry>();
  readonly #watcher = new EdgeWatcher();
  #closed = false;

  constructor() {
    log('libgpiod %s', gpiod.version);
    this.#refresh();
  }

  listChips(): ChipInfo[] {
    this.#assertOpen();
    this.#refresh();
    return [...this.#chips.values()].map((entry) => entry.info);
  }

  lineInfo(chipName: string): LineInfo[] {
    const entry = this.#entry(chipName);
    const infos: LineInfo[] = [];
    for (let offset = 0; offset < entry.info.lines; offset++) {
      const line = this.#wrappers(entry, offset).line;
      try {
        line.update();
      } catch (err) {
        throw libgpiodError(err, `reading line info of ${chipName} line ${offset}`);
      }
      infos.push({
        offset,
        name: fromKernelText(line.name ?? ''),
        consumer: fromKernelText(line.consumer ?? ''),
        used: line.used,
        direction: line.direction === gpiod.Line.Direction.OUTPUT ? 'out' : 'in',
        activeLow: line.activeState === gpiod.Line.ActiveState.LOW,
        bias: BIAS_BY_CODE.get(line.bias) ?? 'as-is',
        drive: driveOf(line),
      });
    }
    return infos;
  }

  request(chipName: string, offset: number, consumer: string): LineHandle {
    const entry = this.#entry(chipName);
    if (!Number.isInteger(offset) || offset < 0 || offset >= entry.info.lines) {
      throw new GpioAggError('EINVAL', `${chipName} has no line ${offset} (it has ${entry.info.lines})`);
    }
    if (entry.held.has(offset)) {
      throw new GpioAggError('EBUSY', `${chipName} line ${offset} is in use by "${consumer}"`);
    }
    const handle = LibgpiodLine.request(
      entry.info, offset, consumer, this.#wrappers(entry, offset), this.#watcher,
      () => {
        if (entry.held.get(offset) === handle) entry.held.delete(offset);
      },
    );
    entry.held.set(offset, handle);
    return handle;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const entry of this.#chips.values()) {
      for (const handle of [...entry.held.values()]) handle.release();
    }
    this.#watcher.close();
    this.#chips.clear();
    log('closed');
  }

  #assertOpen(): void {
    if (this.#closed) throw new GpioAggError('EBADF', 'the libgpiod backend is closed');
  }

  #entry(chipName: string): ChipEntry {
    this.#assertOpen();
    let entry = this.#chips.get(chipName);
    if (!entry) {
      // Chips can appear after start-up (hot-plug, gpio-sim).
      this.#refresh();
      entry = this.#chips.get(chipName);
    }
    if (!entry) throw new GpioAggError('ENOENT', `no GPIO chip ${JSON.stringify(chipName)}`);
    return entry;
  }

  /** Open chips that appeared; forget vanished chips unless lines are still held on them. */
  #refresh(): void {
    let names: string[];
    try {
      names = gpiod.getChipNames();
    } catch (err) {
      throw libgpiodError(err, 'listing GPIO chips');
    }
    const present = new Set(names);
    for (const [name, entry] of this.#chips) {
      if (!present.has(name) && entry.held.size === 0) {
        this.#chips.delete(name);
        log('chip %s is gone', name);
      }
    }
    for (const name of names) {
      if (this.#chips.has(name)) continue;
      try {
        this.#chips.set(name, this.#open(name));
      } catch (err) {
        // One unreadable chip must not hide the others.
        log('cannot open %s: %s', name, err instanceof Error ? err.message : String(err));
      }
    }
    const sorted = [...this.#chips.entries()].sort(([a], [b]) => chipNumber(a) - chipNumber(b));
    this.#chips.clear();
    for (const [name, entry] of sorted) this.#chips.set(name, entry);
  }

  #open(name: string): ChipEntry {
    const chip = new gpiod.Chip(name);
    const partial = { chip, wrappers: new Map<number, NativeLineWrappers>(), held: new Map<number, LibgpiodLine>() };
    const lines = chip.numberOfLines;
    const lineNames: string[] = [];
    const info = { name: chip.name, label: fromKernelText(chip.label), path: `/dev/${chip.name}`, lines, lineNames };
    const entry: ChipEntry = { ...partial, info };
    for (let offset = 0; offset < lines; offset++) lineNames.push(fromKernelText(this.#wrappers(entry, offset).line.name ?? ''));
    log('opened %s "%s" (%d lines)', info.name, info.label, lines);
    return entry;
  }

  #wrappers(entry: ChipEntry, offset: number): NativeLineWrappers {
    const known = entry.wrappers.get(offset);
    if (known) return known;
    const line = entry.chip.getLine(offset);
    const bulk = new gpiod.Bulk(entry.chip, [offset]);
    chipOutlivesWrappers.register(line, entry.chip);
    chipOutlivesWrappers.register(bulk, entry.chip);
    // node-libgpiod's .d.ts types getters as constant tables; see NativeLine.
    const wrappers: NativeLineWrappers = { line: line as unknown as NativeLine, bulk: bulk as unknown as NativeBulk };
    entry.wrappers.set(offset, wrappers);
    return wrappers;
  }
}

function driveOf(line: NativeLine): Drive {
  if (line.openDrain) return 'open-drain';
  if (line.openSource) return 'open-source';
  return 'push-pull';
}
