import { FsNode } from './node.js';

/** An entry that appeared in or left a directory. */
export interface EntryChange {
  readonly type: 'added' | 'removed';
  readonly name: string;
  readonly node: FsNode;
}

export type EntryChangeListener = (change: EntryChange) => void;

/** A directory whose entries are added and removed by the tree that owns it. */
export class DirectoryNode extends FsNode {
  readonly type = 'directory';
  private readonly entries = new Map<string, FsNode>();
  private readonly listeners = new Set<EntryChangeListener>();

  constructor(mode = 0o755) {
    super(mode);
  }

  child(name: string): FsNode | undefined {
    return this.entries.get(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  children(): [string, FsNode][] {
    return [...this.entries.entries()];
  }

  /** The entry at a relative path ("power/control"), or undefined. */
  descendant(path: string): FsNode | undefined {
    let node: FsNode | undefined = this;
    for (const name of path.split('/')) {
      if (name === '') continue;
      if (!(node instanceof DirectoryNode)) return undefined;
      node = node.child(name);
    }
    return node;
  }

  /** Every entry below, with its path (`prefix/name/…`), parents first. */
  *walk(prefix: string): Generator<[string, FsNode]> {
    for (const [name, node] of this.entries) {
      const path = prefix === '' ? name : `${prefix}/${name}`;
      yield [path, node];
      if (node instanceof DirectoryNode) yield* node.walk(path);
    }
  }

  add(name: string, node: FsNode): this {
    const previous = this.entries.get(name);
    this.entries.set(name, node);
    if (previous !== undefined && previous !== node) this.emit({ type: 'removed', name, node: previous });
    if (previous !== node) this.emit({ type: 'added', name, node });
    return this;
  }

  remove(name: string): void {
    const node = this.entries.get(name);
    if (node === undefined) return;
    this.entries.delete(name);
    this.emit({ type: 'removed', name, node });
  }

  /**
   * Told of every entry added or removed from now on (a transport turns
   * that into cache invalidations). Returns an unsubscribe function.
   */
  onEntryChange(listener: EntryChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: EntryChange): void {
    for (const listener of this.listeners) listener(change);
  }

  protected size(): number {
    return 0;
  }

  protected linkCount(): number {
    let subdirectories = 0;
    for (const node of this.entries.values()) if (node.type === 'directory') subdirectories += 1;
    return 2 + subdirectories;
  }
}
