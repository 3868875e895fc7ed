import createDebug from 'debug';
import { GpioAggError } from '../errors.js';
import type {
  AttributeChanges, Caller, FileHandle, Filesystem, FilesystemStats, NamespaceOperation, NodeAttributes,
} from '../fuse/filesystem.js';
import { MountError, mountFuse, unmountFuse } from '../fuse/mount.js';
import { Session } from '../fuse/session.js';
import { DirectoryNode, type EntryChange } from './directory.js';
import { fuseCode } from './fuse-code.js';
import { SOURCE_PREFIX } from './mount-table.js';
import type { FsNode } from './node.js';
import type { FsOperations } from './operations.js';
import { SymlinkNode } from './symlink-node.js';
import type { Mounted } from './transport.js';
import type { Tree } from './tree.js';

const log = createDebug('gpio-aggfs:direct');

/**
 * How long the kernel may keep names and attributes. Every change made
 * through the tree (an aggregator created or deleted, an entry exported,
 * chmod, chown) is invalidated at once, so this only saves round trips.
 */
const CACHE_TIMEOUT_MS = 1000;
/**
 * After the (lazy) unmount, how long the session goes on answering the files
 * still open (a reader's FLUSH and RELEASE after the end-of-file it was just
 * given) before it closes the connection anyway.
 */
const CLOSE_GRACE_MS = 1000;

/** An error as the session replies it: its errno comes from fuseCode, the one conversion. */
class ReplyError extends Error {
  constructor(readonly errno: number, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

function converted(err: unknown): ReplyError {
  return new ReplyError(-fuseCode(err), err);
}

function guarded<T>(action: () => T): T {
  try {
    return action();
  } catch (err) {
    throw converted(err);
  }
}

function guardedAsync<T>(result: T | Promise<T>): T | Promise<T> {
  return result instanceof Promise ? result.catch((err: unknown) => { throw converted(err); }) : result;
}

/** What the tree tells the kernel through the session: entries gone or added, attributes changed. */
interface Invalidations {
  entryCreated(parent: FsNode, name: string): void;
  entryRemoved(parent: FsNode, name: string, node: FsNode): void;
  attributesChanged(node: FsNode): void;
}

/**
 * The tree as lib/fuse's node-based Filesystem. Each node's path is learnt
 * when the kernel looks it up (or lists its directory), so that the
 * path-based FsOperations (permissions checks, state saving) serve every
 * change; an operation on a node no longer at its path (a deleted
 * aggregator) fails with ENOENT. Directories shown to the kernel are watched
 * so that added and removed entries reach its caches at once.
 */
export class TreeFilesystem implements Filesystem<FsNode> {
  readonly root: DirectoryNode;
  private readonly paths = new WeakMap<FsNode, string>();
  private readonly watched = new WeakSet<DirectoryNode>();
  private readonly unsubscribeMetadata: () => void;
  private invalidations: Invalidations | undefined;

  constructor(private readonly tree: Tree, private readonly operations: FsOperations) {
    this.root = tree.root;
    this.paths.set(this.root, '/');
    this.watch(this.root);
    this.unsubscribeMetadata = operations.onMetadataChange((path) => {
      // Second names (the sysfs views' gpioN) show the same mode and owner: theirs changed too.
      for (const node of tree.lookup(path)?.sharingMetadata() ?? []) this.invalidations?.attributesChanged(node);
    });
  }

  /** Where invalidations go, once the session exists. */
  attach(invalidations: Invalidations): void {
    this.invalidations = invalidations;
  }

  close(): void {
    this.unsubscribeMetadata();
    this.invalidations = undefined;
  }

  lookup(parent: FsNode, name: string, _caller: Caller): FsNode | undefined {
    return guarded(() => {
      const directory = this.directory(parent);
      const child = directory.child(name);
      if (child !== undefined) this.learn(directory, name, child);
      return child;
    });
  }

  getattr(node: FsNode): NodeAttributes {
    const stat = node.stat();
    return {
      mode: stat.mode, uid: stat.uid, gid: stat.gid, size: stat.size, nlink: stat.nlink,
      atimeMs: stat.atime.getTime(), mtimeMs: stat.mtime.getTime(), ctimeMs: stat.ctime.getTime(),
    };
  }

  setattr(node: FsNode, changes: AttributeChanges, caller: Caller): void {
    guarded(() => {
      const path = this.pathOf(node);
      if (changes.size !== undefined) this.operations.truncate(path, caller);
      if (changes.mode !== undefined) this.operations.chmod(path, changes.mode, caller);
      if (changes.uid !== undefined || changes.gid !== undefined) this.operations.chown(path, changes.uid ?? -1, changes.gid ?? -1, caller);
      if (changes.atimeMs !== undefined || changes.mtimeMs !== undefined) {
        const stat = node.stat();
        const time = (value: number | 'now' | undefined, current: Date): Date =>
          value === undefined ? current : value === 'now' ? new Date() : new Date(value);
        this.operations.utimens(path, time(changes.atimeMs, stat.atime), time(changes.mtimeMs, stat.mtime), caller);
      }
    });
  }

  readdir(node: FsNode, _caller: Caller): Iterable<readonly [string, FsNode]> {
    return guarded(() => {
      const directory = this.directory(node);
      const children = directory.children();
      for (const [name, child] of children) this.learn(directory, name, child);
      return children;
    });
  }

  open(node: FsNode, flags: number, caller: Caller): FileHandle {
    const operations = this.operations;
    const handle = guarded(() => operations.open(this.pathOf(node), flags, caller));
    return {
      // The kernel's INTERRUPT of this request aborts `signal`: this read alone ends with EINTR.
      read: (length, position, signal, reader) => guarded(() => guardedAsync(operations.read(handle, length, position, reader, signal))),
      write: (data, position, writer) => guarded(() => operations.write(handle, data, position, writer)),
      poll: (wake) => guarded(() => operations.poll(handle, wake)),
      release: () => operations.release(handle),
      // Attributes are rendered per read and events are streams: nothing may come from the page cache.
      directIo: true,
    };
  }

  readlink(node: FsNode, _caller: Caller): string {
    return guarded(() => {
      if (!(node instanceof SymlinkNode)) throw new GpioAggError('EINVAL', 'not a symbolic link');
      return node.target;
    });
  }

  statfs(): FilesystemStats {
    return this.operations.statfs();
  }

  changeNamespace(operation: NamespaceOperation, parent: FsNode, name: string, _caller: Caller): never {
    return guarded(() => this.operations.refuseNamespaceChange(`${this.paths.get(parent) ?? ''}/${name}`, operation));
  }

  private directory(node: FsNode): DirectoryNode {
    if (!(node instanceof DirectoryNode)) throw new GpioAggError('ENOTDIR', 'not a directory');
    return node;
  }

  private learn(parent: DirectoryNode, name: string, child: FsNode): void {
    const parentPath = this.paths.get(parent) ?? '/';
    this.paths.set(child, parentPath === '/' ? `/${name}` : `${parentPath}/${name}`);
    if (child instanceof DirectoryNode) this.watch(child);
  }

  private watch(directory: DirectoryNode): void {
    if (this.watched.has(directory)) return;
    this.watched.add(directory);
    // Never unsubscribed: the listener goes with the directory, and does nothing once closed.
    directory.onEntryChange((change: EntryChange) => {
      if (change.type === 'added') this.invalidations?.entryCreated(directory, change.name);
      else this.invalidations?.entryRemoved(directory, change.name, change.node);
    });
  }

  /** The node's path, as long as the node is still there. */
  private pathOf(node: FsNode): string {
    const path = this.paths.get(node);
    if (path === undefined || this.tree.lookup(path) !== node) throw new GpioAggError('ENOENT', 'no longer exists');
    return path;
  }
}

/**
 * Serve the tree with gpio-aggfs' own FUSE protocol implementation
 * (lib/fuse): mount(2) as root, fusermount3 otherwise; allow_other and
 * default_permissions, so that the kernel enforces every entry's mode and
 * owner for every process; positive cache timeouts with invalidation.
 */
export async function mountDirect(mountpoint: string, tree: Tree, operations: FsOperations): Promise<Mounted> {
  let fd: number;
  try {
    fd = await mountFuse({
      mountpoint, source: `${SOURCE_PREFIX}${process.pid}`, subtype: 'gpio-aggfs', allowOther: true, defaultPermissions: true,
    });
  } catch (err) {
    const errno = err instanceof MountError ? err.errno : 0;
    const code = errno === 1 || errno === 13 ? 'EPERM' : errno === 2 ? 'ENOENT' : errno === 20 ? 'ENOTDIR' : errno === 40 ? 'ELOOP' : 'EIO';
    throw new GpioAggError(code, `cannot mount ${mountpoint}: ${(err as Error).message}`, { cause: err });
  }
  const filesystem = new TreeFilesystem(tree, operations);
  const session = new Session(fd, filesystem, { entryTimeoutMs: CACHE_TIMEOUT_MS, attrTimeoutMs: CACHE_TIMEOUT_MS });
  filesystem.attach({
    entryCreated: (parent, name) => session.entryCreated(parent, name),
    entryRemoved: (parent, name, node) => session.entryRemoved(parent, name, node),
    attributesChanged: (node) => session.attributesChanged(node),
  });
  try {
    await session.ready;
  } catch (err) {
    filesystem.close();
    await session.close();
    await unmountFuse(mountpoint, true).catch(() => {});
    throw new GpioAggError('EIO', `cannot serve ${mountpoint}: ${(err as Error).message}`, { cause: err });
  }
  log('mounted %s', mountpoint);
  return {
    unmount: async () => {
      filesystem.close();
      try {
        // Lazily, as libfuse does: a process still inside the mount does not keep it.
        await unmountFuse(mountpoint, true);
        // The kernel ends the connection once the last open file is closed. Until then a
        // reader that was just answered end-of-file still closes its file (FLUSH): closing
        // the connection under it would fail its close(2) with ECONNABORTED.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([session.ended, new Promise((resolve) => { timer = setTimeout(resolve, CLOSE_GRACE_MS); })]);
        clearTimeout(timer);
      } catch (err) {
        throw new GpioAggError('EBUSY', `cannot unmount ${mountpoint}: ${(err as Error).message}`, { cause: err });
      } finally {
        await session.close();
      }
    },
  };
}
