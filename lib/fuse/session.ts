import { closeSync, readSync, writevSync } from 'node:fs';
import createDebug from 'debug';
import epollModule from 'epoll';
import type { Epoll as EpollInstance } from 'epoll';
import type { AttributeChanges, Caller, FileHandle, Filesystem, NodeAttributes } from './filesystem.js';
import { InodeBridge } from './inode-bridge.js';
import { HandleQuota, MAX_HANDLES_PER_USER } from './handle-quota.js';
import * as abi from './kernel-abi.js';
import { encodeNotifyDelete, encodeNotifyInvalEntry, encodeNotifyInvalInode, encodeNotifyPoll } from './notification.js';
import { Notifier } from './notifier.js';
import {
  encodeAttrOut, encodeCreateOut, encodeDirents, encodeEntryOut, encodeError, encodeInitOut,
  encodeOpenOut, encodeOutHeader, encodePollOut, encodeStatfsOut, encodeWriteOut,
  type Attr, type DirectoryEntry, type Entry, type Validity,
} from './reply.js';
import { decodeRequest, type Request } from './request.js';

const { Epoll } = epollModule;
const log = createDebug('gpio-aggfs:fuse:session');

/** errno numbers of the kernel's ABI (include/uapi/asm-generic/errno-base.h, errno.h). */
const ENOENT = 2;
const EIO = 5;
const EBADF = 9;
const EMFILE = 24;
const EAGAIN = 11;
const ENOTTY = 25;
const EINVAL = 22;
const ENOSYS = 38;
const EPROTO = 71;
const EOPNOTSUPP = 95;

const S_IFMT = 0o170000;

/** Largest WRITE the kernel may send (and so the read buffer: header + fuse_write_in + data). */
const MAX_WRITE = 128 * 1024;
const MAX_PAGES = MAX_WRITE / 4096;
const READ_BUFFER = MAX_WRITE + 4096;
/** Requests handled per readiness callback before the event loop gets a turn. */
const REQUESTS_PER_TURN = 256;
/** What the session asks for at INIT, when the kernel offers it. */
const WANTED_FLAGS = abi.FUSE_ASYNC_READ | abi.FUSE_ATOMIC_O_TRUNC | abi.FUSE_BIG_WRITES | abi.FUSE_MAX_PAGES
  | abi.FUSE_PARALLEL_DIROPS | abi.FUSE_DO_READDIRPLUS;

export interface SessionOptions {
  /** How long the kernel may cache names and attributes (invalidations make changes visible at once). */
  readonly entryTimeoutMs: number;
  readonly attrTimeoutMs: number;
}

interface OpenFile {
  readonly handle: FileHandle;
  /** Who opened it (counted in the HandleQuota). */
  readonly uid: number;
  /** The kernel's poll handle, once a poll asked to be notified. */
  kh: number | undefined;
}

interface OpenDirectory<N> {
  readonly node: N;
  readonly uid: number;
  entries: (readonly [string, N])[];
}

type Payload = Buffer | undefined;

/** Errors of the filesystem become errno replies here, and only here. */
function errnoOf(err: unknown): number {
  const errno = (err as { errno?: unknown } | null)?.errno;
  if (typeof errno === 'number' && errno !== 0) return Math.abs(errno);
  log('unexpected error: %O', err);
  console.error('gpio-aggfs: unexpected error:', err);
  return EIO;
}

class Errno extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}

/**
 * One mounted FUSE connection: reads requests from the /dev/fuse fd when
 * epoll says it is readable, until EAGAIN, hands each to the filesystem and
 * writes one reply per request, in whatever order they complete. The event
 * loop stays free in between. Requests in flight are kept by unique so that
 * an INTERRUPT ends exactly that one.
 */
export class Session<N extends object> {
  private readonly bridge: InodeBridge<N>;
  private readonly notifier: Notifier;
  private readonly buffer = Buffer.alloc(READ_BUFFER);
  private readonly epoll: EpollInstance;
  private readonly inFlight = new Map<number, AbortController>();
  private readonly files = new Map<number, OpenFile>();
  private readonly directories = new Map<number, OpenDirectory<N>>();
  private readonly quota = new HandleQuota();
  private nextHandle = 1;
  private initialised = false;
  private closing = false;
  private readonly validity: Validity;
  private markReady: () => void = () => {};
  private failReady: (err: Error) => void = () => {};
  private markEnded: () => void = () => {};
  /** Resolves once the kernel's INIT has been answered. */
  readonly ready: Promise<void>;
  /** Resolves once the connection has ended (unmounted or closed). */
  readonly ended: Promise<void>;

  constructor(private readonly fd: number, private readonly fs: Filesystem<N>, options: SessionOptions) {
    this.bridge = new InodeBridge(fs.root);
    this.notifier = new Notifier(fd);
    this.validity = { entryMs: options.entryTimeoutMs, attrMs: options.attrTimeoutMs };
    this.ready = new Promise((resolve, reject) => { this.markReady = resolve; this.failReady = reject; });
    this.ended = new Promise((resolve) => { this.markEnded = resolve; });
    this.epoll = new Epoll((err) => {
      if (err) log('epoll: %O', err);
      else this.readRequests();
    });
    this.epoll.add(fd, Epoll.EPOLLIN);
  }

  // ---- what the filesystem tells the kernel ----

  /** `name` appeared in `parent`: forget any cached absence. */
  entryCreated(parent: N, name: string): void {
    const parentId = this.bridge.heldId(parent);
    if (parentId === undefined) return;
    this.notifier.send(encodeNotifyInvalEntry(parentId, name));
    this.notifier.send(encodeNotifyInvalInode(parentId, -1, 0));
  }

  /** `name` (which was `node`) is gone from `parent`, for every process at once. */
  entryRemoved(parent: N, name: string, node: N): void {
    const parentId = this.bridge.heldId(parent);
    if (parentId === undefined) return;
    const childId = this.bridge.heldId(node);
    this.notifier.send(childId === undefined
      ? encodeNotifyInvalEntry(parentId, name)
      : encodeNotifyDelete(parentId, childId, name));
    this.notifier.send(encodeNotifyInvalInode(parentId, -1, 0));
  }

  /** Mode, owner or times of `node` changed: drop the cached attributes. */
  attributesChanged(node: N): void {
    const id = this.bridge.heldId(node);
    if (id !== undefined) this.notifier.send(encodeNotifyInvalInode(id, -1, 0));
  }

  /** Stop serving: release every open file and close the connection (the kernel aborts it if still mounted). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const controller of this.inFlight.values()) controller.abort();
    for (const file of this.files.values()) file.handle.release();
    this.files.clear();
    await this.notifier.close();
    this.epoll.remove(this.fd).close();
    closeSync(this.fd);
    this.failReady(new Error('the FUSE connection closed before INIT'));
    this.markEnded();
  }

  // ---- the request loop ----

  private readRequests(): void {
    for (let handled = 0; handled < REQUESTS_PER_TURN && !this.closing; handled += 1) {
      let length: number;
      // An EAGAIN ends every burst: its exception needs no stack trace.
      const stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        length = readSync(this.fd, this.buffer, 0, READ_BUFFER, null);
      } catch (err) {
        Error.stackTraceLimit = stackTraceLimit;
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') return;
        // ENOENT: the request was interrupted and withdrawn before it was read.
        if (code === 'EINTR' || code === 'ENOENT') continue;
        if (code !== 'ENODEV') log('reading /dev/fuse: %O', err);
        void this.close();
        return;
      }
      Error.stackTraceLimit = stackTraceLimit;
      this.dispatch(this.buffer.subarray(0, length));
    }
  }

  private dispatch(raw: Buffer): void {
    const request = decodeRequest(raw);
    if (request.op === 'MALFORMED') {
      log('malformed request: %s', request.reason);
      if (request.unique !== undefined) this.send(encodeError(request.unique, request.errno === 'EIO' ? EIO : EINVAL));
      return;
    }
    const unique = request.header.unique;
    if (request.op === 'FORGET') { this.bridge.forget(request.header.nodeid, request.nlookup); return; }
    if (request.op === 'BATCH_FORGET') { for (const f of request.forgets) this.bridge.forget(f.nodeid, f.nlookup); return; }
    if (request.op === 'INTERRUPT') { this.interrupt(request.interrupted, unique); return; }
    const controller = new AbortController();
    this.inFlight.set(unique, controller);
    const notificationsBefore = this.notifier.sequence;
    const finish = (payload: Payload): void => {
      this.inFlight.delete(unique);
      const sequence = this.notifier.sequence;
      // A change this request made is visible to every process before the request returns.
      if (sequence > notificationsBefore) void this.notifier.settled(sequence).then(() => this.reply(unique, payload));
      else this.reply(unique, payload);
    };
    const fail = (err: unknown): void => {
      this.inFlight.delete(unique);
      this.send(encodeError(unique, errnoOf(err)));
    };
    try {
      const result = this.handle(request, controller.signal);
      if (result instanceof Promise) result.then(finish, fail);
      else finish(result);
    } catch (err) {
      fail(err);
    }
  }

  /** Only the interrupted request ends (with EINTR); one not seen yet is asked again later. */
  private interrupt(interrupted: number, unique: number): void {
    const controller = this.inFlight.get(interrupted);
    if (controller !== undefined) controller.abort();
    else this.send(encodeError(unique, EAGAIN));
  }

  private reply(unique: number, payload: Payload): void {
    if (payload === undefined) this.send(encodeOutHeader(unique, 0, 0));
    else this.send(encodeOutHeader(unique, 0, payload.length), payload);
  }

  private send(header: Buffer, payload?: Buffer): void {
    if (this.closing) return;
    try {
      writevSync(this.fd, payload === undefined || payload.length === 0 ? [header] : [header, payload]);
    } catch (err) {
      // ENOENT: the kernel gave up on the request (its caller was killed).
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log('writing a reply: %O', err);
    }
  }

  /** Count an open of `uid`'s, or refuse it (EMFILE) when that user holds as many as a user may. */
  private takeHandle(uid: number): void {
    if (!this.quota.take(uid)) {
      throw new Errno(EMFILE, `uid ${uid} holds ${MAX_HANDLES_PER_USER} open files and directories of this mount, as many as a user may`);
    }
  }

  private node(nodeid: number): N {
    const node = this.bridge.node(nodeid);
    if (node === undefined) throw new Errno(ENOENT, `unknown node id ${nodeid}`);
    return node;
  }

  private file(fh: number): OpenFile {
    const file = this.files.get(fh);
    if (file === undefined) throw new Errno(EBADF, `unknown file handle ${fh}`);
    return file;
  }

  private attr(node: N, attributes: NodeAttributes = this.fs.getattr(node)): Attr {
    return { ino: this.bridge.idOf(node), ...attributes };
  }

  private entry(node: N): Entry {
    return { nodeid: this.bridge.lookedUp(node), generation: 0, attr: this.attr(node) };
  }

  private handle(request: Request, signal: AbortSignal): Payload | Promise<Payload> {
    const { header } = request;
    const caller: Caller = { uid: header.uid, gid: header.gid, pid: header.pid };
    if (!this.initialised && request.op !== 'INIT') throw new Errno(EIO, `${request.op} before INIT`);
    switch (request.op) {
      case 'INIT': return this.init(request);
      case 'LOOKUP': {
        const child = this.fs.lookup(this.node(header.nodeid), request.name, caller);
        if (child === undefined) throw new Errno(ENOENT, `no ${request.name}`);
        return encodeEntryOut(this.entry(child), this.validity);
      }
      case 'GETATTR': return encodeAttrOut(this.attr(this.node(header.nodeid)), this.validity);
      case 'SETATTR': {
        const node = this.node(header.nodeid);
        const changes: { -readonly [K in keyof AttributeChanges]: AttributeChanges[K] } = {};
        if (request.valid & abi.FATTR_MODE) changes.mode = request.mode;
        if (request.valid & abi.FATTR_UID) changes.uid = request.uid;
        if (request.valid & abi.FATTR_GID) changes.gid = request.gid;
        if (request.valid & abi.FATTR_SIZE) changes.size = request.size;
        if (request.valid & abi.FATTR_ATIME) changes.atimeMs = request.valid & abi.FATTR_ATIME_NOW ? 'now' : request.atimeMs;
        if (request.valid & abi.FATTR_MTIME) changes.mtimeMs = request.valid & abi.FATTR_MTIME_NOW ? 'now' : request.mtimeMs;
        this.fs.setattr(node, changes, caller);
        return encodeAttrOut(this.attr(node), this.validity);
      }
      case 'READLINK': return Buffer.from(this.fs.readlink(this.node(header.nodeid), caller), 'utf8');
      case 'OPEN': {
        const node = this.node(header.nodeid);
        this.takeHandle(header.uid);
        let handle: FileHandle;
        try {
          handle = this.fs.open(node, request.flags, caller);
        } catch (err) {
          this.quota.give(header.uid);
          throw err;
        }
        const fh = this.handleNumber();
        this.files.set(fh, { handle, uid: header.uid, kh: undefined });
        return encodeOpenOut(fh, handle.directIo === true ? abi.FOPEN_DIRECT_IO : 0);
      }
      case 'READ': {
        const result = this.file(request.fh).handle.read(request.size, request.offset, signal, caller);
        return result instanceof Promise ? result.then((data) => data.subarray(0, request.size)) : result.subarray(0, request.size);
      }
      case 'WRITE': {
        const result = this.file(request.fh).handle.write(request.data, request.offset, caller);
        return result instanceof Promise ? result.then(encodeWriteOut) : encodeWriteOut(result);
      }
      case 'POLL': return encodePollOut(this.poll(request.fh, request.kh, request.flags));
      case 'RELEASE': {
        const file = this.files.get(request.fh);
        this.files.delete(request.fh);
        if (file !== undefined) this.quota.give(file.uid);
        file?.handle.release();
        return undefined;
      }
      case 'OPENDIR': {
        const node = this.node(header.nodeid);
        this.takeHandle(header.uid);
        let entries: (readonly [string, N])[];
        try {
          entries = [...this.fs.readdir(node, caller)];
        } catch (err) {
          this.quota.give(header.uid);
          throw err;
        }
        const fh = this.handleNumber();
        this.directories.set(fh, { node, uid: header.uid, entries });
        return encodeOpenOut(fh, 0);
      }
      case 'READDIR':
      case 'READDIRPLUS': return this.readdir(request.fh, request.offset, request.size, request.op === 'READDIRPLUS', caller);
      case 'RELEASEDIR': {
        const directory = this.directories.get(request.fh);
        this.directories.delete(request.fh);
        if (directory !== undefined) this.quota.give(directory.uid);
        return undefined;
      }
      case 'STATFS': {
        const { bsize, namemax } = this.fs.statfs();
        return encodeStatfsOut({ blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, bsize, namelen: namemax, frsize: bsize });
      }
      case 'FLUSH': case 'FSYNC': case 'FSYNCDIR': case 'ACCESS': case 'SYNCFS': case 'DESTROY': return undefined;
      case 'CREATE': return this.fs.changeNamespace('create', this.node(header.nodeid), request.name, caller);
      case 'MKNOD': return this.fs.changeNamespace('mknod', this.node(header.nodeid), request.name, caller);
      case 'MKDIR': return this.fs.changeNamespace('mkdir', this.node(header.nodeid), request.name, caller);
      case 'UNLINK': return this.fs.changeNamespace('unlink', this.node(header.nodeid), request.name, caller);
      case 'RMDIR': return this.fs.changeNamespace('rmdir', this.node(header.nodeid), request.name, caller);
      case 'RENAME': return this.fs.changeNamespace('rename', this.node(header.nodeid), request.name, caller);
      case 'LINK': return this.fs.changeNamespace('link', this.node(header.nodeid), request.name, caller);
      case 'SYMLINK': return this.fs.changeNamespace('symlink', this.node(header.nodeid), request.name, caller);
      case 'FALLOCATE': throw new Errno(EOPNOTSUPP, 'attributes have no storage to allocate');
      // No extended attributes exist: every call is EOPNOTSUPP, as on fuse-native. ENOSYS for reads makes the
      // kernel answer them itself from then on (EOPNOTSUPP): `ls -l` asks two per entry, each a round trip.
      case 'GETXATTR': case 'LISTXATTR': throw new Errno(ENOSYS, 'extended attributes are not supported');
      case 'SETXATTR': case 'REMOVEXATTR': throw new Errno(EOPNOTSUPP, 'extended attributes are not supported');
      case 'IOCTL': throw new Errno(ENOTTY, 'no ioctls');
      // ENOSYS makes the kernel handle these itself from then on (lseek on its own offsets).
      // Answered in dispatch, without a reply.
      case 'FORGET': case 'BATCH_FORGET': case 'INTERRUPT': return undefined;
      case 'LSEEK': case 'UNKNOWN': throw new Errno(ENOSYS, `opcode ${header.opcode} not implemented`);
      default: return ((op: never): never => { throw new Errno(ENOSYS, `unhandled ${String(op)}`); })(request);
    }
  }

  private handleNumber(): number {
    const fh = this.nextHandle;
    this.nextHandle += 1;
    return fh;
  }

  private init(request: Extract<Request, { op: 'INIT' }>): Payload {
    if (request.major > abi.FUSE_KERNEL_VERSION) {
      // A newer major version: say which we speak; the kernel sends INIT again.
      return encodeInitOut({ major: abi.FUSE_KERNEL_VERSION, minor: abi.FUSE_KERNEL_MINOR_VERSION, maxReadahead: 0, flags: 0, maxBackground: 0, congestionThreshold: 0, maxWrite: 0, timeGran: 0, maxPages: 0 }).subarray(0, 8);
    }
    if (request.major < abi.FUSE_KERNEL_VERSION || request.minor < abi.FUSE_OLDEST_MINOR_VERSION) {
      const err = new Errno(EPROTO, `kernel FUSE ${request.major}.${request.minor} is older than 7.${abi.FUSE_OLDEST_MINOR_VERSION}`);
      this.failReady(err);
      throw err;
    }
    const minor = Math.min(request.minor, abi.FUSE_KERNEL_MINOR_VERSION);
    const flags = request.flags & WANTED_FLAGS;
    log('INIT: kernel %d.%d offers %s, using 7.%d with %s', request.major, request.minor,
      request.flags.toString(16), minor, flags.toString(16));
    this.initialised = true;
    queueMicrotask(() => this.markReady());
    return encodeInitOut({
      major: abi.FUSE_KERNEL_VERSION, minor, maxReadahead: request.maxReadahead, flags,
      maxBackground: 64, congestionThreshold: 48, maxWrite: MAX_WRITE, timeGran: 1,
      maxPages: (flags & abi.FUSE_MAX_PAGES) !== 0 ? MAX_PAGES : 0,
    });
  }

  private poll(fh: number, kh: number, flags: number): number {
    const file = this.file(fh);
    if (file.handle.poll === undefined) return abi.DEFAULT_POLLMASK;
    const notify = (flags & abi.FUSE_POLL_SCHEDULE_NOTIFY) !== 0;
    if (notify) file.kh = kh;
    return file.handle.poll(() => {
      // NOTIFY_POLL takes no inode lock (fuse_notify_poll_wakeup only wakes the waiters): safe from this thread.
      if (file.kh !== undefined && this.files.get(fh) === file) this.send(encodeNotifyPoll(file.kh));
    });
  }

  private readdir(fh: number, offset: number, size: number, plus: boolean, caller: Caller): Payload {
    const directory = this.directories.get(fh);
    if (directory === undefined) throw new Errno(EBADF, `unknown directory handle ${fh}`);
    // rewinddir() starts again from a fresh listing.
    if (offset === 0) directory.entries = [...this.fs.readdir(directory.node, caller)];
    const selfId = this.bridge.idOf(directory.node);
    const all: (readonly [string, N | undefined])[] = [['.', undefined], ['..', undefined], ...directory.entries];
    const records: DirectoryEntry[] = [];
    const nodes: (N | undefined)[] = [];
    // A directory page holds at most size/24 records: build no more than that.
    const limit = Math.min(all.length, offset + Math.ceil(size / abi.FUSE_DIRENT_SIZE));
    for (let index = offset; index < limit; index += 1) {
      const [name, node] = all[index] as readonly [string, N | undefined];
      if (node === undefined) {
        records.push({ name, ino: selfId, type: 4, nextOffset: index + 1 });
      } else {
        const attr = this.attr(node);
        const ino = this.bridge.idOf(node);
        records.push({ name, ino, type: (attr.mode & S_IFMT) >> 12, nextOffset: index + 1, entry: plus ? { nodeid: ino, generation: 0, attr } : undefined });
      }
      nodes.push(node);
    }
    if (!plus) return encodeDirents(records, size, false).buffer;
    const { buffer, count } = encodeDirents(records, size, true, this.validity);
    // Each record the kernel receives counts as a lookup ("." and ".." do not).
    for (let i = 0; i < count; i += 1) {
      const node = nodes[i];
      if (node !== undefined) this.bridge.lookedUp(node);
    }
    return buffer;
  }
}

