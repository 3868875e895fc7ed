import { resolve } from 'node:path';
import createDebug from 'debug';
import { Registry } from './aggregator/registry.js';
import { openBackend } from './gpio/open-backend.js';
import { mountFuse } from './fs/fuse-transport.js';
import { prepareMountpoint } from './fs/mountpoint.js';
import { FsOperations } from './fs/operations.js';
import { Tree } from './fs/tree.js';

const log = createDebug('gpio-aggfs:service');

export interface ServiceOptions {
  readonly mountpoint: string;
  readonly sim?: string | undefined;
}

export interface RunningService {
  readonly mountpoint: string;
  readonly registry: Registry;
  /** Resolves when the service has stopped. */
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Start gpio-aggfs: open the backend, prepare the mountpoint, mount. Stopping
 * ends every event stream, unmounts, then releases every line.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const mountpoint = resolve(options.mountpoint);
  await prepareMountpoint(mountpoint);
  const { backend, sim } = await openBackend({ sim: options.sim });
  const registry = new Registry(backend);
  const tree = new Tree(registry, sim);
  const operations = new FsOperations(tree);
  let mounted;
  try {
    mounted = await mountFuse(mountpoint, operations);
  } catch (err) {
    backend.close();
    throw err;
  }
  log('serving %s with the %s backend', mountpoint, backend.kind);

  let stopping: Promise<void> | undefined;
  let markStopped: () => void = () => {};
  const stopped = new Promise<void>((done) => { markStopped = done; });
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log('stopping');
      registry.closeAll();
      operations.releaseAll();
      try {
        await mounted.unmount();
      } finally {
        tree.close();
        backend.close();
        markStopped();
      }
    })();
    return stopping;
  };
  return { mountpoint, registry, stopped, stop };
}
