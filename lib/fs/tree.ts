import type { Aggregator } from '../aggregator/aggregator.js';
import type { Registry } from '../aggregator/registry.js';
import type { SimBackend } from '../gpio/sim-backend.js';
import type { LegacySysfs } from '../sysfs/legacy-sysfs.js';
import type { Owner } from '../aggregator/registry.js';
import { aggregatorDirectory, giveAggregatorTo, type AggregatorView } from './aggregator-directory.js';
import { controlDirectory } from './control-directory.js';
import { simDirectory } from './sim-directory.js';
import { DirectoryNode } from './directory.js';
import type { FsNode } from './node.js';
import { aggregatorSysfsView } from './sysfs/aggregator-view.js';
import { kernelDeviceLinks, simDeviceLinks } from './sysfs/device-links.js';
import { GlobalSysfsView, SYSFS_VIEW } from './sysfs/global-view.js';

/**
 * The whole mounted tree: `agg/`, one `gpio-agg.N/` per aggregator (added
 * and removed as the registry changes) and, with the simulated backend, `.sim/`.
 */
export class Tree {
  readonly root = new DirectoryNode(0o755);
  private readonly unsubscribe: () => void;
  private readonly sysfsView: GlobalSysfsView | undefined;

  constructor(readonly registry: Registry, sim?: SimBackend, sysfs?: LegacySysfs) {
    this.root.add('agg', controlDirectory(registry, (name) => this.root.child(name)?.uid));
    if (sim !== undefined) this.root.add('.sim', simDirectory(sim));
    let aggregatorView: AggregatorView | undefined;
    if (sysfs !== undefined) {
      const links = sim !== undefined ? simDeviceLinks() : kernelDeviceLinks();
      this.sysfsView = new GlobalSysfsView(sysfs, links);
      this.root.add(SYSFS_VIEW, this.sysfsView.directory);
      aggregatorView = (aggregator, directory) => aggregatorSysfsView(aggregator, directory, sysfs, links);
    }
    const add = (aggregator: Aggregator, owner?: Owner): void => {
      const directory = aggregatorDirectory(aggregator, aggregatorView);
      if (owner !== undefined) giveAggregatorTo(directory, owner);
      this.root.add(aggregator.name, directory);
    };
    for (const aggregator of registry.list()) add(aggregator);
    this.unsubscribe = registry.onChange((event) => {
      if (event.type === 'created') add(event.aggregator, event.owner);
      else this.root.remove(event.aggregator.name);
    });
  }

  /** The node at an absolute path inside the mount ("/", "/agg/new_device", …). */
  lookup(path: string): FsNode | undefined {
    return this.root.descendant(path);
  }

  /** Every entry with its path relative to the mount, parents first. */
  walk(directory: DirectoryNode = this.root, prefix = ''): Generator<[string, FsNode]> {
    return directory.walk(prefix);
  }

  close(): void {
    this.unsubscribe();
    this.sysfsView?.close();
  }
}
