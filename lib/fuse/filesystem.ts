/**
 * What a filesystem served by this transport provides. It works on its own
 * node objects and names; node ids, lookup counts and handles belong to the
 * session. Every method may throw an error carrying a numeric `errno`
 * (positive or negative); anything else is answered with EIO.
 */

/** Who made the request (the kernel's fsuid, fsgid and thread group id). */
export interface Caller {
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
}

export interface NodeAttributes {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly nlink: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/** The changes of one SETATTR; absent fields stay unchanged. */
export interface AttributeChanges {
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly size?: number;
  /** 'now' for utimensat's UTIME_NOW. */
  readonly atimeMs?: number | 'now';
  readonly mtimeMs?: number | 'now';
}

/** An open file, as `open` returns it. */
export interface FileHandle {
  /** At most `length` bytes at `position`; `signal` aborts when the kernel interrupts the request. */
  read(length: number, position: number, signal: AbortSignal, caller: Caller): Buffer | Promise<Buffer>;
  /** Returns how many bytes were taken. */
  write(data: Buffer, position: number, caller: Caller): number | Promise<number>;
  /**
   * The poll(2) mask now; `wake` is to be called (once) when it may have
   * changed. Without it the file is always ready (DEFAULT_POLLMASK).
   */
  poll?(wake: () => void): number;
  release(): void;
  /** Bypass the page cache: every read and write comes to `read`/`write` (FOPEN_DIRECT_IO). */
  readonly directIo?: boolean;
}

export interface FilesystemStats {
  readonly bsize: number;
  readonly namemax: number;
}

export type NamespaceOperation = 'create' | 'mknod' | 'mkdir' | 'unlink' | 'rmdir' | 'rename' | 'link' | 'symlink';

export interface Filesystem<N extends object> {
  readonly root: N;
  /** The child `name` of `parent`; undefined or a throw when there is none. */
  lookup(parent: N, name: string, caller: Caller): N | undefined;
  getattr(node: N): NodeAttributes;
  setattr(node: N, changes: AttributeChanges, caller: Caller): void;
  /** Entries of a directory, without "." and "..". */
  readdir(node: N, caller: Caller): Iterable<readonly [string, N]>;
  open(node: N, flags: number, caller: Caller): FileHandle;
  /** A symbolic link's target. */
  readlink(node: N, caller: Caller): string;
  statfs(): FilesystemStats;
  /** Creating, removing, renaming or linking `name` in `parent`: must throw when refused. */
  changeNamespace(operation: NamespaceOperation, parent: N, name: string, caller: Caller): never;
}
