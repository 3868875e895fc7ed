import type { Caller } from './caller.js';
import { FsNode } from './node.js';

/** What an open file offers; created by a FileNode's open(). */
export interface OpenFile {
  /**
   * Bytes at `position`, at most `length`, as `caller` sees them. May wait
   * (event streams); `signal` interrupts this read alone (EINTR).
   */
  read(length: number, position: number, caller: Caller, signal?: AbortSignal): Buffer | Promise<Buffer>;
  /** Store bytes written by `caller`; returns how many were taken. */
  write(data: Buffer, position: number, caller: Caller): number;
  release(): void;
  /** A waiting read's caller was interrupted by a signal: give up waiting. */
  interrupt?(): void;
  /** Streams: no more data — waiting and later reads get end-of-file. */
  end?(): void;
  /** Streams: whether a read now would return at once (data or end-of-file). Absent: always. */
  readable?(): boolean;
  /** Streams: call `callback` once when readable() becomes true; returns a cancel function. */
  onReadable?(callback: () => void): () => void;
  /**
   * The poll(2) mask now; `wake` is called (once) when it may have changed.
   * Without it the file is always ready (DEFAULT_POLLMASK).
   */
  poll?(wake: () => void): number;
}

export interface OpenOptions {
  readonly read: boolean;
  readonly write: boolean;
  readonly nonBlocking: boolean;
}

/** A regular file of the tree: it knows how to open itself. */
export abstract class FileNode extends FsNode {
  readonly type = 'file';

  abstract readonly readable: boolean;
  abstract readonly writable: boolean;

  /** A write changes a line or the policy: each one is audited (gpio-aggfs:audit). */
  get audited(): boolean {
    return false;
  }

  /** Called after the access mode has been checked against readable/writable. */
  abstract open(options: OpenOptions): OpenFile;

  protected linkCount(): number {
    return 1;
  }
}
