import { resolve } from 'node:path';
import createDebug from 'debug';
import { AGGREGATOR_PREFIX } from './aggregator/aggregator.js';
import { Registry } from './aggregator/registry.js';
import { applyConfig } from './config/apply-config.js';
import { loadConfig } from './config/config-file.js';
import { openBackend } from './gpio/open-backend.js';
import { prepareMountpoint } from './fs/mountpoint.js';
import { FsOperations } from './fs/operations.js';
import { DEFAULT_TRANSPORT, mountTree, type Mounted, type TransportName } from './fs/transport.js';
import { Tree } from './fs/tree.js';
import { LegacySysfs } from './sysfs/legacy-sysfs.js';
import { restoreState } from './state/restore.js';
import { shutDown } from './shutdown.js';
import type { FileLock } from './files/file-lock.js';
import { EMPTY_STATE, loadState, lockState } from './state/state-file.js';
import { StateRecorder } from './state/state-recorder.js';

const log = createDebug('gpio-aggfs:service');

export interface ServiceOptions {
  readonly mountpoint: string;
  readonly sim?: string | undefined;
  /** `--gpio-library`: 1, 2 or auto (lib/gpio/gpio-library.ts). */
  readonly gpioLibrary?: string | undefined;
  /** State file: restored at start, saved after every change. */
  readonly state?: string | undefined;
  /** Config file: applied at start, after the state. */
  readonly config?: string | undefined;
  /** Legacy sysfs GPIO bases by chip name or label; they win over the config file's. */
  readonly sysfsBases?: ReadonlyMap<string, number>;
  /** Who serves the mount (default: gpio-aggfs' own FUSE protocol implementation). */
  readonly transport?: TransportName | undefined;
}

export interface RunningService {
  readonly mountpoint: string;
  readonly registry: Registry;
  /** The GPIO library that serves, e.g. "libgpiod 2.2.1 (libgpiod.so.3)". */
  readonly library: string;
  /** Resolves when the service has stopped. */
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Start gpio-aggfs: lock the state file, read it and the config file, open
 * the backend, restore the saved aggregators and permissions, apply the
 * config, save the result, mount. Any error before the mount releases everything and nothing
 * is mounted. Stopping ends every event stream and lets waiting reads be
 * answered, unmounts, and only then deletes the aggregators and releases
 * every line (without touching the state file): see shutdown.ts.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  // Locked before anything else: a second instance on the same state file touches nothing.
  const lock = options.state === undefined ? undefined : lockState(options.state);
  try {
    return await startLocked(options, lock);
  } catch (err) {
    lock?.release();
    throw err;
  }
}

/** startService once the state file (if any) is locked; stopping releases the lock last. */
async function startLocked(options: ServiceOptions, lock: FileLock | undefined): Promise<RunningService> {
  const mountpoint = resolve(options.mountpoint);
  const saved = options.state === undefined ? EMPTY_STATE : loadState(options.state);
  const config = options.config === undefined ? undefined : loadConfig(options.config);
  await prepareMountpoint(mountpoint);
  const { backend, sim } = await openBackend({ sim: options.sim, gpioLibrary: options.gpioLibrary });
  log('GPIO served by %s', backend.library);
  const registry = new Registry(backend);
  const sysfs = new LegacySysfs(backend, new Map([...(config?.sysfsBases ?? []), ...(options.sysfsBases ?? [])]), sim);
  const tree = new Tree(registry, sim, sysfs);
  const operations = new FsOperations(tree);
  let recorder: StateRecorder | undefined;
  let mounted: Mounted;
  try {
    const { failures, kept } = restoreState(saved, registry, tree, sysfs.unexportedPermissions);
    for (const { id, spec, error } of failures) {
      console.error(`gpio-aggfs: ${AGGREGATOR_PREFIX}${id} (spec "${spec}") not restored: ${error.message} (${error.code});`
        + ` kept in ${options.state ?? 'the state file'} and tried again at the next start`
        + ` (write ${AGGREGATOR_PREFIX}${id} to agg/delete_device to forget it)`);
    }
    if (config !== undefined) applyConfig(config, registry, tree);
    if (options.state !== undefined) {
      recorder = new StateRecorder(options.state, registry, tree, kept, sysfs.unexportedPermissions);
      recorder.save();
      recorder.start(operations);
    }
    mounted = await mountTree(options.transport ?? DEFAULT_TRANSPORT, mountpoint, tree, operations);
  } catch (err) {
    recorder?.stop();
    sysfs.close();
    registry.closeAll();
    tree.close();
    backend.close();
    throw err;
  }
  log('serving %s with the %s backend through the %s transport', mountpoint, backend.kind, options.transport ?? DEFAULT_TRANSPORT);

  let stopping: Promise<void> | undefined;
  let markStopped: () => void = () => {};
  const stopped = new Promise<void>((done) => { markStopped = done; });
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log('stopping');
      recorder?.stop();
      try {
        await shutDown({
          endStreams: () => operations.endStreams(),
          readsAnswered: (graceMs) => operations.readsAnswered(graceMs),
          unmount: () => mounted.unmount(),
          release: () => {
            sysfs.close();
            registry.closeAll();
            operations.releaseAll();
            tree.close();
            backend.close();
            lock?.release();
          },
        });
      } finally {
        markStopped();
      }
    })();
    return stopping;
  };
  return { mountpoint, registry, library: backend.library, stopped, stop };
}
