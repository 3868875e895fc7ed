import { constants } from 'node:fs';
import { GpioAggError } from '../errors.js';
import type { NamespaceOperation } from '../fuse/filesystem.js';
import { audit, auditText } from './audit.js';
import type { Caller } from './caller.js';
import { DirectoryNode } from './directory.js';
import { DEFAULT_POLLMASK, POLLIN, POLLRDNORM } from './poll-mask.js';
import { FileNode, type OpenFile } from './file-node.js';
import type { FsNode, Stat } from './node.js';
import { SymlinkNode } from './symlink-node.js';
import { inSysfsView } from './sysfs/global-view.js';
import type { Tree } from './tree.js';

/** chown's "leave unchanged", as it arrives as a 32-bit unsigned id. */
const UNCHANGED_ID = 0xffffffff;
/** Linux's O_ACCMODE (Node's fs.constants does not carry it). */
const O_ACCMODE = 3;

export interface StatFs {
  readonly bsize: number;
  readonly namemax: number;
}

/** An open file and what its writes are logged as. */
interface Opened {
  readonly file: OpenFile;
  /** The path relative to the mount when writes are audited. */
  readonly audited: string | undefined;
}

/**
 * The filesystem's operations, independent of the FUSE binding serving
 * them: resolve a path, delegate to the node, throw GpioAggError on failure.
 * Permission bits are checked by the kernel (default_permissions); what is
 * checked here is what the kernel lets root past. Every operation that
 * changes something or answers per caller is told who asks: a binding that
 * cannot tell passes UNKNOWN_CALLER. Every change is audited with its
 * caller (lib/fs/audit.ts).
 */
export class FsOperations {
  private readonly openFiles = new Map<number, Opened>();
  /** A poll's wait for a stream to become readable, by handle (cancelled by the next poll or the release). */
  private readonly pollWaits = new Map<number, () => void>();
  /** Handle 0 is avoided: some bindings treat it as "no handle". */
  private nextHandle = 1;
  private readonly metadataListeners = new Set<(path: string) => void>();
  /** Reads that wait for their answer (event streams). */
  private readonly waitingReads = new Set<Promise<Buffer>>();
  private streamsEnded = false;

  constructor(private readonly tree: Tree) {}

  getattr(path: string): Stat {
    return this.node(path).stat();
  }

  readdir(path: string): string[] {
    const node = this.node(path);
    if (!(node instanceof DirectoryNode)) throw new GpioAggError('ENOTDIR', `${path} is not a directory`);
    return node.names();
  }

  readlink(path: string): string {
    const node = this.node(path);
    if (!(node instanceof SymlinkNode)) throw new GpioAggError('EINVAL', `${path} is not a symbolic link`);
    return node.target;
  }

  open(path: string, flags: number, _caller: Caller): number {
    const node = this.node(path);
    if (!(node instanceof FileNode)) throw new GpioAggError('EISDIR', `${path} is a directory`);
    const accessMode = flags & O_ACCMODE;
    const read = accessMode === constants.O_RDONLY || accessMode === constants.O_RDWR;
    const write = accessMode === constants.O_WRONLY || accessMode === constants.O_RDWR;
    if (write && !node.writable) throw new GpioAggError('EACCES', `${path} is read-only`);
    if (read && !node.readable) throw new GpioAggError('EACCES', `${path} is write-only`);
    const handle = this.nextHandle;
    this.nextHandle = handle >= 0x7fffffff ? 1 : handle + 1;
    const file = node.open({ read, write, nonBlocking: (flags & constants.O_NONBLOCK) !== 0 });
    this.openFiles.set(handle, { file, audited: write && node.audited ? relative(path) : undefined });
    if (this.streamsEnded) file.end?.();
    return handle;
  }

  /** `signal` interrupts this read alone: a waiting events read then fails with EINTR. */
  read(handle: number, length: number, position: number, caller: Caller, signal?: AbortSignal): Buffer | Promise<Buffer> {
    const result = this.opened(handle).file.read(length, position, caller, signal);
    if (result instanceof Promise) {
      this.waitingReads.add(result);
      const answered = (): void => { this.waitingReads.delete(result); };
      result.then(answered, answered);
    }
    return result;
  }

  /**
   * Stopping: every stream ends now — waiting reads and every later read
   * (of files open now or opened from now on) get end-of-file.
   */
  endStreams(): void {
    this.streamsEnded = true;
    for (const { file } of this.openFiles.values()) file.end?.();
  }

  /** Resolves once no read waits for its answer, or after `graceMs` at the latest. */
  async readsAnswered(graceMs: number): Promise<void> {
    if (this.waitingReads.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((done) => { timer = setTimeout(done, graceMs); });
    await Promise.race([Promise.allSettled([...this.waitingReads]), grace]);
    clearTimeout(timer);
  }

  /** Whether a read of `handle` now would return at once (files that are not streams always do). */
  readable(handle: number): boolean {
    return this.opened(handle).file.readable?.() ?? true;
  }

  /** Call `callback` once when `handle` becomes readable; returns a cancel function. */
  onReadable(handle: number, callback: () => void): () => void {
    const { file } = this.opened(handle);
    if (file.onReadable !== undefined) return file.onReadable(callback);
    let cancelled = false;
    queueMicrotask(() => { if (!cancelled) callback(); });
    return () => { cancelled = true; };
  }

  write(handle: number, data: Buffer, position: number, caller: Caller): number {
    const { file, audited } = this.opened(handle);
    const taken = file.write(data, position, caller);
    if (audited !== undefined) {
      const end = data.indexOf(0);
      audit(caller, 'write', audited, auditText((end < 0 ? data : data.subarray(0, end)).toString('latin1')));
    }
    return taken;
  }

  /**
   * The poll(2) mask of an open file; `wake` is called once when it may have
   * changed. A stream is readable (POLLIN) only while a read would not wait.
   */
  poll(handle: number, wake: () => void): number {
    const { file } = this.opened(handle);
    if (file.poll !== undefined) return file.poll(wake);
    if (file.readable === undefined) return DEFAULT_POLLMASK;
    this.pollWaits.get(handle)?.();
    this.pollWaits.delete(handle);
    if (file.readable()) return POLLIN | POLLRDNORM;
    if (file.onReadable !== undefined) {
      this.pollWaits.set(handle, file.onReadable(() => {
        this.pollWaits.delete(handle);
        wake();
      }));
    }
    return 0;
  }

  release(handle: number): void {
    this.pollWaits.get(handle)?.();
    this.pollWaits.delete(handle);
    const opened = this.openFiles.get(handle);
    this.openFiles.delete(handle);
    opened?.file.release();
  }

  /** `echo … >` truncates first: attributes have no stored bytes to lose, so this changes nothing. */
  truncate(path: string, _caller: Caller): void {
    const node = this.node(path);
    if (!(node instanceof FileNode)) throw new GpioAggError('EISDIR', `${path} is a directory`);
    if (!node.writable) throw new GpioAggError('EACCES', `${path} is read-only`);
  }

  chmod(path: string, mode: number, caller: Caller): void {
    const node = this.node(path);
    this.changeMetadata(path, node, () => node.chmod(mode));
    audit(caller, 'chmod', relative(path), node.mode.toString(8).padStart(4, '0'));
  }

  chown(path: string, uid: number, gid: number, caller: Caller): void {
    const normalise = (id: number): number | undefined => (id === -1 || id === UNCHANGED_ID ? undefined : id);
    const node = this.node(path);
    this.changeMetadata(path, node, () => node.chown(normalise(uid), normalise(gid)));
    audit(caller, 'chown', relative(path), `${node.uid}:${node.gid}`);
  }

  /**
   * Called after each chmod/chown (the state file saves them). A listener
   * that throws refuses the change: it is undone and the error is the
   * operation's. Returns an unsubscribe function.
   */
  onMetadataChange(listener: (path: string) => void): () => void {
    this.metadataListeners.add(listener);
    return () => this.metadataListeners.delete(listener);
  }

  utimens(path: string, atime: Date, mtime: Date, _caller: Caller): void {
    this.node(path).touch(atime, mtime);
  }

  /**
   * Entries are created only through agg/new_device: EPERM. In the legacy
   * sysfs views a new file is EACCES, as in /sys/class/gpio (sysfs has no
   * create operation, and vfs_create() answers EACCES for that; mknod,
   * mkdir, unlink, rmdir, rename, link and symlink are EPERM there too).
   */
  refuseNamespaceChange(path: string, operation?: NamespaceOperation): never {
    if (operation === 'create' && inSysfsView(path)) {
      throw new GpioAggError('EACCES', `${path}: files cannot be created in a sysfs view`);
    }
    throw new GpioAggError('EPERM', `${path}: entries cannot be created, removed or renamed`);
  }

  statfs(): StatFs {
    return { bsize: 4096, namemax: 255 };
  }

  /**
   * A read was interrupted and the transport cannot tell which one (fuse-native), so every
   * waiting read fails with EINTR; callers retry it (coreutils, libuv and
   * Python all do) and no event is lost, while a reader being killed is freed.
   */
  interruptWaitingReads(): void {
    for (const { file } of this.openFiles.values()) file.interrupt?.();
  }

  /** Release every open file (unmount). */
  releaseAll(): void {
    for (const handle of [...this.openFiles.keys()]) this.release(handle);
  }

  private changeMetadata(path: string, node: FsNode, change: () => void): void {
    const { mode, uid, gid } = node;
    change();
    try {
      for (const listener of [...this.metadataListeners]) listener(path);
    } catch (err) {
      node.chmod(mode);
      node.chown(uid, gid);
      throw err;
    }
  }

  private node(path: string): FsNode {
    const node = this.tree.lookup(path);
    if (node === undefined) throw new GpioAggError('ENOENT', `${path}: no such file or directory`);
    return node;
  }

  private opened(handle: number): Opened {
    const opened = this.openFiles.get(handle);
    if (opened === undefined) throw new GpioAggError('EBADF', `no open file ${handle}`);
    return opened;
  }
}

/** "/gpio-agg.0/line0/value" → "gpio-agg.0/line0/value"; the root is "/". */
function relative(path: string): string {
  return path === '/' ? '/' : path.replace(/^\/+/, '');
}
