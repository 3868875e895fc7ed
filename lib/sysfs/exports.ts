import createDebug from 'debug';
import { GpioAggError } from '../errors.js';
import type { Backend, ChipInfo } from '../gpio/backend.js';
import { parseKernelLong } from '../aggregator/sysfs-input.js';
import type { SysfsNumbering } from './numbering.js';
import { SysfsLine } from './sysfs-line.js';

const log = createDebug('gpio-aggfs:sysfs:export');

/** The consumer label of a line exported through sysfs, as export_store() requests it. */
export const SYSFS_CONSUMER = 'sysfs';

export interface ExportedLine {
  readonly gpio: number;
  readonly chip: ChipInfo;
  readonly offset: number;
  readonly line: SysfsLine;
}

export type ExportEvent = { readonly type: 'exported' | 'unexported'; readonly exported: ExportedLine };

/**
 * The GPIO number written to export/unexport, as export_store() and
 * unexport_store() read it: kstrtol() (EINVAL, ERANGE), and the long handed
 * to gpio_to_desc(), which takes an unsigned int — so a number beyond 32
 * bits wraps (2^32 + 512 is 512, -1 is 4294967295), as in the kernel.
 */
export function parseGpioText(input: string): { gpio: number; written: bigint } {
  const written = parseKernelLong(input);
  return { gpio: Number(BigInt.asUintN(32, written)), written };
}

/**
 * The number written to export/unexport and its line: parseGpioText()'s
 * errors first, then EINVAL for a number no chip has (gpio_to_desc() finds
 * no descriptor).
 */
export function parseGpioNumber(input: string, numbering: SysfsNumbering): { gpio: number; chip: ChipInfo; offset: number } {
  const { gpio, written } = parseGpioText(input);
  const location = numbering.locate(gpio);
  if (location === undefined) throw new GpioAggError('EINVAL', `invalid GPIO ${written}`);
  return { gpio, ...location };
}

/**
 * Lines exported through the global view's `export`: each is requested from
 * the backend with the consumer `sysfs` while it is exported, so it is busy
 * for aggregators and other processes, and the other way round.
 */
export class SysfsExports {
  private readonly exported = new Map<number, ExportedLine>();
  private readonly listeners = new Set<(event: ExportEvent) => void>();

  constructor(private readonly backend: Backend, private readonly numbering: SysfsNumbering) {}

  /** export_store(): the request's errors as they are (EBUSY when held by anyone, the sysfs view included). */
  export(input: string): ExportedLine {
    const { gpio, chip, offset } = parseGpioNumber(input, this.numbering);
    if (this.exported.has(gpio)) throw new GpioAggError('EBUSY', `GPIO ${gpio} is already exported`);
    const handle = this.backend.request(chip.name, offset, SYSFS_CONSUMER);
    const exported: ExportedLine = { gpio, chip, offset, line: new SysfsLine(handle) };
    this.exported.set(gpio, exported);
    log('exported %d (%s %d)', gpio, chip.name, offset);
    this.emit({ type: 'exported', exported });
    return exported;
  }

  /** unexport_store(): EINVAL for a number no chip has and for a line not exported through sysfs. */
  unexport(input: string): void {
    const { gpio } = parseGpioNumber(input, this.numbering);
    const exported = this.exported.get(gpio);
    if (exported === undefined) throw new GpioAggError('EINVAL', `GPIO ${gpio} is not exported`);
    this.drop(exported);
  }

  get(gpio: number): ExportedLine | undefined {
    return this.exported.get(gpio);
  }

  list(): ExportedLine[] {
    return [...this.exported.values()].sort((a, b) => a.gpio - b.gpio);
  }

  /** gpiochip_sysfs_unregister(): the lines a vanished chip had exported go with it. */
  dropChip(chipName: string): void {
    for (const exported of this.list()) if (exported.chip.name === chipName) this.drop(exported);
  }

  onChange(listener: (event: ExportEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  closeAll(): void {
    for (const exported of this.list()) this.drop(exported);
  }

  private drop(exported: ExportedLine): void {
    this.exported.delete(exported.gpio);
    exported.line.handle.release();
    log('unexported %d', exported.gpio);
    this.emit({ type: 'unexported', exported });
  }

  private emit(event: ExportEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}
