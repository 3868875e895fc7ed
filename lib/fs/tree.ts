import type { Registry } from '../aggregator/registry.js';
import type { SimBackend } from '../gpio/sim-backend.js';
import { aggregatorDirectory } from './aggregator-directory.js';
import { controlDirectory } from './control-directory.js';
import { simDirectory } from './sim-directory.js';
import { DirectoryNode } from './directory.js';
import type { FsNode } from './node.js';

/**
 * The whole mounted tree: `agg/`, one `gpio-agg.N/` per aggregator (added
 * and removed as the registry changes) and, with the simulated backend, `.sim/`.
 */
export class Tree {
  readonly root = new DirectoryNode(0o755);
  private readonly unsubscribe: () => void;

  constructor(readonly registry: Registry, sim?: SimBackend) {
    this.root.add('agg', controlDirectory(registry));
    if (sim !== undefined) this.root.add('.sim', simDirectory(sim));
    for (const aggregator of registry.list()) this.root.add(aggregator.name, aggregatorDirectory(aggregator));
    this.unsubscribe = registry.onChange((event) => {
      if (event.type === 'created') this.root.add(event.aggregator.name, aggregatorDirectory(event.aggregator));
      else this.root.remove(event.aggregator.name);
    });
  }

  /** The node at an absolute path inside the mount ("/", "/agg/new_device", …). */
  lookup(path: string): FsNode | undefined {
    let node: FsNode | undefined = this.root;
    for (const name of path.split('/')) {
      if (name === '') continue;
      if (!(node instanceof DirectoryNode)) return undefined;
      node = node.child(name);
      if (node === undefined) return undefined;
    }
    return node;
  }

  /** Every entry with its path relative to the mount, parents first. */
  *walk(directory: DirectoryNode = this.root, prefix = ''): Generator<[string, FsNode]> {
    for (const [name, node] of directory.children()) {
      const path = prefix === '' ? name : `${prefix}/${name}`;
      yield [path, node];
      if (node instanceof DirectoryNode) yield* this.walk(node, path);
    }
  }

  close(): void {
    this.unsubscribe();
  }
}
