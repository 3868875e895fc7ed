import { FUSE_ROOT_ID } from './kernel-abi.js';

interface Known<N> {
  readonly node: N;
  lookups: number;
}

/**
 * Node ids for the filesystem's node objects. Each node gets one id the
 * first time it is shown to the kernel and keeps it for the mount's
 * lifetime; an id never names another node, so generation 0 keeps
 * nodeid:generation unique. The kernel's lookup count is kept per id: an
 * id stays resolvable (even for a node removed from the tree) until the
 * kernel has forgotten every lookup.
 */
export class InodeBridge<N extends object> {
  private readonly ids = new WeakMap<N, number>();
  private readonly known = new Map<number, Known<N>>();
  private nextId = FUSE_ROOT_ID + 1;

  constructor(root: N) {
    this.ids.set(root, FUSE_ROOT_ID);
    // The root is never forgotten: its count does not matter.
    this.known.set(FUSE_ROOT_ID, { node: root, lookups: 1 });
  }

  /** The node behind a node id the kernel holds. */
  node(nodeid: number): N | undefined {
    return this.known.get(nodeid)?.node;
  }

  /** The id of `node`, assigning one if it has none (no lookup counted). */
  idOf(node: N): number {
    let id = this.ids.get(node);
    if (id === undefined) {
      id = this.nextId;
      this.nextId += 1;
      this.ids.set(node, id);
    }
    return id;
  }

  /** The id of `node` if the kernel holds it now. */
  heldId(node: N): number | undefined {
    const id = this.ids.get(node);
    return id !== undefined && this.known.has(id) ? id : undefined;
  }

  /** An entry reply (LOOKUP, CREATE, a READDIRPLUS record) hands the kernel one more reference. */
  lookedUp(node: N): number {
    const id = this.idOf(node);
    const entry = this.known.get(id);
    if (entry === undefined) this.known.set(id, { node, lookups: 1 });
    else entry.lookups += 1;
    return id;
  }

  /** FORGET / BATCH_FORGET. */
  forget(nodeid: number, nlookup: number): void {
    if (nodeid === FUSE_ROOT_ID) return;
    const entry = this.known.get(nodeid);
    if (entry === undefined) return;
    entry.lookups -= nlookup;
    if (entry.lookups <= 0) this.known.delete(nodeid);
  }

  /** How many node ids the kernel holds (the root included). */
  get size(): number {
    return this.known.size;
  }
}
