import createDebug from 'debug';
import type { Backend } from '../gpio/backend.js';
import type { SimBackend } from '../gpio/sim-backend.js';
import type { SavedPermissions } from '../state/state-file.js';
import { watchChips, type ChipWatch } from './chip-watch.js';
import { SysfsExports } from './exports.js';
import { SysfsNumbering, type ChipRange } from './numbering.js';

const log = createDebug('gpio-aggfs:sysfs');

export interface ChipChange {
  readonly added: readonly ChipRange[];
  readonly removed: readonly ChipRange[];
}

/**
 * What the legacy sysfs views share: the numbering of the chips present,
 * the lines exported through the global view, and the saved permissions of
 * `gpioN` entries that are not exported at the moment (exports do not
 * persist, their permissions do: they are applied again at the next export).
 */
export class LegacySysfs {
  readonly numbering: SysfsNumbering;
  readonly exports: SysfsExports;
  /** Path inside the mount (`sysfs-gpio/gpio512/value`) → permissions, for lines not exported now. */
  readonly unexportedPermissions = new Map<string, SavedPermissions>();
  private readonly listeners = new Set<(change: ChipChange) => void>();
  private readonly watch: ChipWatch;

  constructor(backend: Backend, bases: ReadonlyMap<string, number>, sim?: SimBackend) {
    this.numbering = new SysfsNumbering(bases);
    this.exports = new SysfsExports(backend, this.numbering);
    this.watch = watchChips(backend, sim, () => this.refresh());
    this.numbering.update(this.watch.present());
  }

  /** Look at the chips again; the views follow. */
  refresh(): void {
    const change = this.numbering.update(this.watch.present());
    if (change.added.length === 0 && change.removed.length === 0) return;
    for (const { chip } of change.removed) {
      log('%s is gone', chip.name);
      this.exports.dropChip(chip.name);
    }
    for (const listener of [...this.listeners]) listener(change);
  }

  onChipsChange(listener: (change: ChipChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.watch.stop();
    this.exports.closeAll();
  }
}
