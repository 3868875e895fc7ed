/**
 * The backend for real GPIO chips through libgpiod 2.x (`libgpiod.so.3`,
 * GPIO uAPI v2), bound with koffi (libgpiod2-ffi.ts). Chips are opened once
 * and kept while the backend is open; each held line is its own request.
 */
import { readdirSync } from 'node:fs';
import createDebug from 'debug';
import { GpioAggError } from '../errors.js';
import { type Backend, CAPABILITIES, type ChipInfo, type LineHandle, type LineInfo } from './backend.js';
import { EdgeWatcher } from './edge-reader.js';
import { type GpiodChip, type Libgpiod2, libgpiod2Error } from './libgpiod2-ffi.js';
import { Libgpiod2Line } from './libgpiod2-line.js';
import { fromKernelText } from './line-name.js';
import { biasOf, driveOf, isOutputCode } from './libgpiod2-settings.js';

const log = createDebug('gpio-aggfs:gpio:libgpiod2');

interface ChipEntry {
  readonly ptr: GpiodChip;
  readonly info: ChipInfo;
  readonly held: Map<number, Libgpiod2Line>;
}

const chipNumber = (name: string): number => Number(/(\d+)$/.exec(name)?.[1] ?? Number.MAX_SAFE_INTEGER);

export class Libgpiod2Backend implements Backend {
  readonly kind = 'libgpiod';
  readonly library: string;
  readonly libraryGeneration = '2';
  readonly capabilities = CAPABILITIES[2];
  readonly #lib: Libgpiod2;
  readonly #chips = new Map<string, ChipEntry>();
  readonly #watcher = new EdgeWatcher();
  readonly #devDir: string;
  #closed = false;

  constructor(lib: Libgpiod2, devDir = '/dev') {
    this.#lib = lib;
    this.#devDir = devDir;
    this.library = `libgpiod ${lib.version} (${lib.path})`;
    log('%s', this.library);
    this.#refresh();
  }

  listChips(): ChipInfo[] {
    this.#assertOpen();
    this.#refresh();
    return [...this.#chips.values()].map((entry) => entry.info);
  }

  lineInfo(chipName: string): LineInfo[] {
    const { api } = this.#lib;
    const entry = this.#entry(chipName);
    const infos: LineInfo[] = [];
    for (let offset = 0; offset < entry.info.lines; offset++) {
      const info = api.gpiod_chip_get_line_info(entry.ptr, offset);
      if (info === null) throw libgpiod2Error(`reading line info of ${chipName} line ${offset}`);
      try {
        infos.push({
          offset,
          name: fromKernelText(api.gpiod_line_info_get_name(info) ?? ''),
          consumer: fromKernelText(api.gpiod_line_info_get_consumer(info) ?? ''),
          used: api.gpiod_line_info_is_used(info),
          direction: isOutputCode(api.gpiod_line_info_get_direction(info)) ? 'out' : 'in',
          activeLow: api.gpiod_line_info_is_active_low(info),
          bias: biasOf(api.gpiod_line_info_get_bias(info)),
          drive: driveOf(api.gpiod_line_info_get_drive(info)),
        });
      } finally {
        api.gpiod_line_info_free(info);
      }
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
    let handle: Libgpiod2Line;
    try {
      handle = Libgpiod2Line.request(this.#lib.api, entry.ptr, entry.info, offset, consumer, this.#watcher, () => {
        if (entry.held.get(offset) === handle) entry.held.delete(offset);
      });
    } catch (err) {
      if (!(err instanceof GpioAggError) || err.code !== 'EBUSY') throw err;
      // Name who holds it: the kernel's consumer label of the line.
      let holder = '';
      try {
        holder = this.lineInfo(chipName)[offset]?.consumer ?? '';
      } catch {
        // Who holds it is a detail; the line being busy is the answer.
      }
      throw new GpioAggError('EBUSY', `${chipName} line ${offset} is in use by ${holder === '' ? 'another program' : `"${holder}"`}`, { cause: err });
    }
    entry.held.set(offset, handle);
    return handle;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const entry of this.#chips.values()) {
      for (const handle of [...entry.held.values()]) handle.release();
      this.#lib.api.gpiod_chip_close(entry.ptr);
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

  /** The GPIO character devices present now, by name. */
  #chipNames(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.#devDir).filter((name) => /^gpiochip\d+$/.test(name));
    } catch (err) {
      throw new GpioAggError('EIO', `listing GPIO chips in ${this.#devDir}: ${String(err)}`, { cause: err });
    }
    return names.filter((name) => this.#lib.api.gpiod_is_gpiochip_device(`${this.#devDir}/${name}`));
  }

  /** Open chips that appeared; close vanished chips unless lines are still held on them. */
  #refresh(): void {
    const present = new Set(this.#chipNames());
    for (const [name, entry] of this.#chips) {
      if (!present.has(name) && entry.held.size === 0) {
        this.#lib.api.gpiod_chip_close(entry.ptr);
        this.#chips.delete(name);
        log('chip %s is gone', name);
      }
    }
    for (const name of present) {
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
    const { api } = this.#lib;
    const path = `${this.#devDir}/${name}`;
    const ptr = api.gpiod_chip_open(path);
    if (ptr === null) throw libgpiod2Error(`opening ${path}`);
    try {
      const chipInfo = api.gpiod_chip_get_info(ptr);
      if (chipInfo === null) throw libgpiod2Error(`reading chip info of ${path}`);
      let label: string;
      let lines: number;
      try {
        label = fromKernelText(api.gpiod_chip_info_get_label(chipInfo) ?? '');
        lines = api.gpiod_chip_info_get_num_lines(chipInfo);
      } finally {
        api.gpiod_chip_info_free(chipInfo);
      }
      const lineNames: string[] = [];
      for (let offset = 0; offset < lines; offset++) {
        const info = api.gpiod_chip_get_line_info(ptr, offset);
        if (info === null) throw libgpiod2Error(`reading line info of ${name} line ${offset}`);
        lineNames.push(fromKernelText(api.gpiod_line_info_get_name(info) ?? ''));
        api.gpiod_line_info_free(info);
      }
      log('opened %s "%s" (%d lines)', name, label, lines);
      return { ptr, info: { name, label, path, lines, lineNames }, held: new Map() };
    } catch (err) {
      api.gpiod_chip_close(ptr);
      throw err;
    }
  }
}
