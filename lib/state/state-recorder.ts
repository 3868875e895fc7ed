import createDebug from 'debug';
import { AGGREGATOR_PREFIX } from '../aggregator/aggregator.js';
import type { Registry } from '../aggregator/registry.js';
import { GpioAggError } from '../errors.js';
import type { FsOperations } from '../fs/operations.js';
import type { Tree } from '../fs/tree.js';
import { saveState, type SavedPermissions, type SavedState } from './state-file.js';

const log = createDebug('gpio-aggfs:state');

/**
 * Keeps the state file in step with the running filesystem: after every
 * aggregator creation or deletion and every chmod/chown it saves the whole
 * state, synchronously, before the operation returns. Saving is a few small
 * writes plus two fsyncs; bursts of changes stay correct without coalescing.
 */
export class StateRecorder {
  private readonly unsubscribes: (() => void)[] = [];
  private lastError: string | undefined;

  constructor(
    readonly file: string,
    private readonly registry: Registry,
    private readonly tree: Tree,
    /** Permissions inside aggregators that could not be restored, saved as they were. */
    private readonly kept: ReadonlyMap<string, SavedPermissions> = new Map(),
    /** Permissions of legacy sysfs lines not exported now, saved until their next export. */
    private readonly unexported: ReadonlyMap<string, SavedPermissions> = new Map(),
  ) {}

  /** What the state file should hold now. */
  snapshot(): SavedState {
    const reserved = this.registry.reserved();
    const reservedNames = new Set(reserved.map(({ id }) => `${AGGREGATOR_PREFIX}${id}`));
    const permissions = new Map<string, SavedPermissions>();
    for (const [path, node] of this.tree.walk()) {
      if (node.isCustomised) permissions.set(path, { mode: node.mode, uid: node.uid, gid: node.gid });
    }
    for (const [path, saved] of this.unexported) permissions.set(path, saved);
    for (const [path, saved] of this.kept) {
      if (reservedNames.has(path.split('/')[0] as string)) permissions.set(path, saved);
    }
    const aggregators = [...this.registry.list().map(({ id, spec }) => ({ id, spec })), ...reserved];
    return { aggregators, permissions };
  }

  /** Save now; throws GpioAggError when the file cannot be written. */
  save(): void {
    saveState(this.file, this.snapshot());
  }

  /** Save after every change from now on. */
  start(operations: FsOperations): void {
    this.unsubscribes.push(this.registry.onChange(() => this.record()));
    this.unsubscribes.push(this.registry.onForget(() => this.record()));
    this.unsubscribes.push(operations.onMetadataChange(() => this.record()));
  }

  /** Stop saving: shutdown deletes every aggregator, and that must not reach the file. */
  stop(): void {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
  }

  /**
   * A change has happened already; a failed save cannot undo it. Say so
   * loudly (once per distinct failure) and try again at the next change.
   */
  private record(): void {
    try {
      this.save();
      if (this.lastError !== undefined) console.error(`gpio-aggfs: ${this.file}: saving works again`);
      this.lastError = undefined;
    } catch (err) {
      const message = err instanceof GpioAggError ? `${err.message} (${err.code})` : String(err);
      log('save failed: %s', message);
      if (message !== this.lastError) console.error(`gpio-aggfs: ${message}; the change is not saved`);
      this.lastError = message;
    }
  }
}
