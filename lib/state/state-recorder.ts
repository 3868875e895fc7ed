import createDebug from 'debug';
import { AGGREGATOR_PREFIX } from '../aggregator/aggregator.js';
import type { ChangeKeeper, Registry } from '../aggregator/registry.js';
import { GpioAggError } from '../errors.js';
import type { FsOperations } from '../fs/operations.js';
import type { Tree } from '../fs/tree.js';
import { ROOT_ENTRY, saveState, type SavedPermissions, type SavedState } from './state-file.js';

const log = createDebug('gpio-aggfs:state');

/**
 * Keeps the state file in step with the running filesystem, so that every
 * acknowledged change is on disk: a creation, chmod or chown is saved before
 * the operation returns, and undone if the save fails (the operation then
 * fails with the save's errno: ENOSPC, EROFS, EIO …); a deletion is saved
 * before it happens and not done if the save fails. Saving writes the whole
 * state with two fsyncs; bursts of changes stay correct without coalescing.
 */
export class StateRecorder implements ChangeKeeper {
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

  /** What the state file should hold now, or once aggregator `withoutId` is gone. */
  snapshot(withoutId?: number): SavedState {
    const gone = withoutId === undefined ? undefined : `${AGGREGATOR_PREFIX}${withoutId}`;
    const inGone = (path: string): boolean => gone !== undefined && (path === gone || path.startsWith(`${gone}/`));
    const reserved = this.registry.reserved().filter(({ id }) => id !== withoutId);
    const reservedNames = new Set(reserved.map(({ id }) => `${AGGREGATOR_PREFIX}${id}`));
    const permissions = new Map<string, SavedPermissions>();
    const { root } = this.tree;
    if (root.isCustomised) permissions.set(ROOT_ENTRY, { mode: root.mode, uid: root.uid, gid: root.gid });
    for (const [path, node] of this.tree.walk()) {
      if (node.isCustomised && !inGone(path)) permissions.set(path, { mode: node.mode, uid: node.uid, gid: node.gid });
    }
    for (const [path, saved] of this.unexported) permissions.set(path, saved);
    for (const [path, saved] of this.kept) {
      if (reservedNames.has(path.split('/')[0] as string)) permissions.set(path, saved);
    }
    const aggregators = [
      ...this.registry.list().filter(({ id }) => id !== withoutId).map(({ id, spec }) => ({ id, spec })),
      ...reserved,
    ];
    return { aggregators, permissions };
  }

  /** Save now; throws GpioAggError when the file cannot be written. */
  save(): void {
    this.write(this.snapshot());
  }

  /** Keep every change from now on. */
  start(operations: FsOperations): void {
    this.registry.keepChangesWith(this);
    this.unsubscribes.push(() => this.registry.keepChangesWith(undefined));
    this.unsubscribes.push(operations.onMetadataChange(() => this.write(this.snapshot())));
  }

  /** Stop saving: shutdown deletes every aggregator, and that must not reach the file. */
  stop(): void {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
  }

  created(): void {
    this.write(this.snapshot());
  }

  deleting(id: number): void {
    this.write(this.snapshot(id));
  }

  /** Save `state`; a failure is reported once per errno in a row, then thrown to refuse the change. */
  private write(state: SavedState): void {
    try {
      saveState(this.file, state);
    } catch (err) {
      const code = err instanceof GpioAggError ? err.code : 'EIO';
      log('save failed: %s', (err as Error).message);
      if (code !== this.lastError) {
        console.error(`gpio-aggfs: ${(err as Error).message} (${code}); changes are refused until saving works again`);
      }
      this.lastError = code;
      throw err;
    }
    if (this.lastError !== undefined) console.error(`gpio-aggfs: ${this.file}: saving works again`);
    this.lastError = undefined;
  }
}
