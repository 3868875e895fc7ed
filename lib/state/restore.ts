import createDebug from 'debug';
import { AGGREGATOR_PREFIX } from '../aggregator/aggregator.js';
import type { Registry } from '../aggregator/registry.js';
import { fromSystemError, type GpioAggError } from '../errors.js';
import { SYSFS_VIEW } from '../fs/sysfs/global-view.js';
import type { Tree } from '../fs/tree.js';
import { ROOT_ENTRY, type SavedPermissions, type SavedState } from './state-file.js';

const log = createDebug('gpio-aggfs:state');

/** Entries of a line of the global sysfs view, which exist only while it is exported. */
const SYSFS_LINE_ENTRY = new RegExp(`^${SYSFS_VIEW}/gpio(0|[1-9][0-9]*)(/|$)`);

export interface RestoreFailure {
  readonly id: number;
  readonly spec: string;
  readonly error: GpioAggError;
}

export interface RestoreResult {
  /** Aggregators whose lines could not be taken: reserved in the registry, kept in the state. */
  readonly failures: readonly RestoreFailure[];
  /** Saved permissions of entries inside those aggregators, to be saved again unchanged. */
  readonly kept: ReadonlyMap<string, SavedPermissions>;
}

/**
 * Recreate the saved aggregators with their ids, then give every saved entry
 * (the mount's root too) its mode, owner and group. An aggregator that cannot
 * be created (its lines are busy, its chip is gone) keeps its id reserved and
 * its permissions kept, so that the next start tries again and nothing is lost.
 */
export function restoreState(
  state: SavedState, registry: Registry, tree: Tree,
  /** Receives the saved permissions of legacy sysfs `gpioN` entries, given back when a line is exported. */
  unexported: Map<string, SavedPermissions> = new Map(),
): RestoreResult {
  const failures: RestoreFailure[] = [];
  for (const { id, spec } of state.aggregators) {
    try {
      registry.create(spec, id);
      log('restored %s%d: %s', AGGREGATOR_PREFIX, id, spec);
    } catch (err) {
      registry.reserve(id, spec);
      failures.push({ id, spec, error: fromSystemError(err, spec) });
    }
  }
  const reservedNames = new Set(registry.reserved().map(({ id }) => `${AGGREGATOR_PREFIX}${id}`));
  const kept = new Map<string, SavedPermissions>();
  for (const [path, { mode, uid, gid }] of state.permissions) {
    const node = path === ROOT_ENTRY ? tree.root : tree.lookup(`/${path}`);
    if (node !== undefined) {
      node.chmod(mode);
      node.chown(uid, gid);
    } else if (reservedNames.has(path.split('/')[0] as string)) {
      kept.set(path, { mode, uid, gid });
    } else if (SYSFS_LINE_ENTRY.test(path)) {
      unexported.set(path, { mode, uid, gid });
    } else {
      log('dropping saved permissions of %s: no such entry', path);
    }
  }
  return { failures, kept };
}
