import createDebug from 'debug';
import { GpioAggError } from '../errors.js';
import type { Backend, LineHandle } from '../gpio/backend.js';
import { parseSpec } from '../spec/parse.js';
import { resolveSpec } from '../spec/resolve.js';
import { formatSpec } from '../spec/format.js';
import { AggregatedLine } from './aggregated-line.js';
import { Aggregator, AGGREGATOR_PREFIX } from './aggregator.js';

const log = createDebug('gpio-aggfs:registry');

/** The consumer label every line request carries. */
export const CONSUMER = 'gpio-aggfs';

/** The kernel driver's device name, accepted by delete_device for compatibility. */
const KERNEL_PREFIX = 'gpio-aggregator.';

/** Who an aggregator belongs to when it is not root's: its creator's uid and primary gid. */
export interface Owner {
  readonly uid: number;
  readonly gid: number;
}

export type RegistryEvent =
  | { readonly type: 'created'; readonly aggregator: Aggregator; readonly owner?: Owner }
  | { readonly type: 'deleted'; readonly aggregator: Aggregator };

/**
 * Makes the registry's changes durable before they are acknowledged (the
 * state file). Each method throws (a GpioAggError carrying the errno of the
 * failed save) to refuse the change; the registry is then as it was before.
 */
export interface ChangeKeeper {
  /** `aggregator` has just been created and announced; a throw undoes the creation. */
  created(aggregator: Aggregator): void;
  /** The aggregator or reserved id `id` is about to be deleted; a throw keeps it. */
  deleting(id: number): void;
}

/** An aggregator known from saved state whose lines could not be taken. */
export interface ReservedAggregator {
  readonly id: number;
  readonly spec: string;
}

/** All aggregators of one gpio-aggfs instance, and the lines they hold. */
export class Registry {
  private readonly aggregators = new Map<number, Aggregator>();
  private readonly listeners = new Set<(event: RegistryEvent) => void>();
  /** Ids kept for aggregators that could not be restored: not reused, until deleted. */
  private readonly reservations = new Map<number, string>();
  private keeper: ChangeKeeper | undefined;

  constructor(readonly backend: Backend) {}

  /**
   * Create an aggregator from a spec. All-or-nothing: on any error every
   * line requested so far is released and nothing is registered.
   * `id` is for restoring saved state; by default the lowest free id is used.
   * `owner` (announced with the creation, before it is kept) is the creator
   * when that is not root.
   */
  create(specText: string, id?: number, owner?: Owner): Aggregator {
    const lines = resolveSpec(parseSpec(specText), this.backend.listChips());
    const newId = id ?? this.lowestFreeId();
    if (this.aggregators.has(newId) || this.reservations.has(newId)) {
      throw new GpioAggError('EEXIST', `${AGGREGATOR_PREFIX}${newId} already exists`);
    }
    const handles: LineHandle[] = [];
    try {
      for (const { chip, offset } of lines) {
        handles.push(this.backend.request(chip.name, offset, CONSUMER));
      }
    } catch (err) {
      for (const handle of handles) handle.release();
      throw err;
    }
    const aggregator = new Aggregator(newId, formatSpec(lines), handles.map((h) => new AggregatedLine(h, this.backend.capabilities)));
    this.aggregators.set(newId, aggregator);
    log('created %s: %s', aggregator.name, aggregator.spec);
    this.emit(owner === undefined ? { type: 'created', aggregator } : { type: 'created', aggregator, owner });
    try {
      this.keeper?.created(aggregator);
    } catch (err) {
      log('undoing %s: %s', aggregator.name, (err as Error).message);
      this.remove(aggregator);
      throw err;
    }
    return aggregator;
  }

  /**
   * From now on, every create and delete is kept by `keeper` before it
   * counts (undefined: no longer). Restoring and shutting down happen without.
   */
  keepChangesWith(keeper: ChangeKeeper | undefined): void {
    this.keeper = keeper;
  }

  /**
   * Keep `id` for an aggregator of the saved state whose lines could not be
   * taken: the id is not given to a new aggregator, and the state keeps it
   * until `delete` forgets it.
   */
  reserve(id: number, spec: string): void {
    if (this.aggregators.has(id) || this.reservations.has(id)) {
      throw new GpioAggError('EEXIST', `${AGGREGATOR_PREFIX}${id} already exists`);
    }
    this.reservations.set(id, spec);
  }

  /** Reserved aggregators in id order. */
  reserved(): ReservedAggregator[] {
    return [...this.reservations].map(([id, spec]) => ({ id, spec })).sort((a, b) => a.id - b.id);
  }

  /**
   * Delete by `gpio-agg.N` (or the kernel's `gpio-aggregator.N`). Deleting a
   * reserved id forgets it (returns undefined). `authorise` is asked first
   * and throws to refuse (nothing changes).
   */
  delete(nameText: string, authorise?: (name: string) => void): Aggregator | undefined {
    const id = parseAggregatorName(nameText);
    const aggregator = this.aggregators.get(id);
    const reservedSpec = this.reservations.get(id);
    if (aggregator === undefined && reservedSpec === undefined) {
      throw new GpioAggError('ENOENT', `no aggregator ${AGGREGATOR_PREFIX}${id}`);
    }
    authorise?.(`${AGGREGATOR_PREFIX}${id}`);
    // Kept first: deleting cannot be undone (the lines are released, event readers are ended).
    this.keeper?.deleting(id);
    if (aggregator === undefined) {
      this.reservations.delete(id);
      log('forgot unrestored %s%d: %s', AGGREGATOR_PREFIX, id, reservedSpec);
      return undefined;
    }
    this.remove(aggregator);
    return aggregator;
  }

  get(name: string): Aggregator | undefined {
    if (!name.startsWith(AGGREGATOR_PREFIX)) return undefined;
    const digits = name.slice(AGGREGATOR_PREFIX.length);
    if (!/^(0|[1-9][0-9]*)$/.test(digits)) return undefined;
    return this.aggregators.get(Number(digits));
  }

  /** Aggregators in id order. */
  list(): Aggregator[] {
    return [...this.aggregators.values()].sort((a, b) => a.id - b.id);
  }

  onChange(listener: (event: RegistryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Delete every aggregator, releasing all lines (shutdown): not a change to keep. */
  closeAll(): void {
    for (const aggregator of this.list()) this.remove(aggregator);
  }

  private remove(aggregator: Aggregator): void {
    this.aggregators.delete(aggregator.id);
    aggregator.close();
    log('deleted %s', aggregator.name);
    this.emit({ type: 'deleted', aggregator });
  }

  private lowestFreeId(): number {
    let id = 0;
    while (this.aggregators.has(id) || this.reservations.has(id)) id += 1;
    return id;
  }

  private emit(event: RegistryEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}

/** `gpio-agg.N` or `gpio-aggregator.N` (one trailing newline allowed) → N; else EINVAL. */
export function parseAggregatorName(input: string): number {
  const text = input.endsWith('\n') ? input.slice(0, -1) : input;
  for (const prefix of [AGGREGATOR_PREFIX, KERNEL_PREFIX]) {
    if (!text.startsWith(prefix)) continue;
    const digits = text.slice(prefix.length);
    if (/^(0|[1-9][0-9]{0,8})$/.test(digits)) return Number(digits);
  }
  throw new GpioAggError('EINVAL', `invalid aggregator name ${JSON.stringify(text)}: expected ${AGGREGATOR_PREFIX}N`);
}
