import { GpioAggError } from '../errors.js';
import type { Caller } from './caller.js';
import { FileNode, type OpenFile, type OpenOptions } from './file-node.js';
import { CHANGED_POLLMASK, DEFAULT_POLLMASK } from './poll-mask.js';

/** Like a sysfs attribute, a store takes at most one page worth of text per write (kernfs' limit). */
const MAX_WRITE = 4096;
/** What `stat` shows for an attribute, as sysfs does; readers must not trust it, and with direct_io they need not. */
const ATTRIBUTE_SIZE = 4096;

/**
 * Written bytes as text: UTF-8. Bytes that are not UTF-8 become U+FFFD rather
 * than being refused here, so each store answers as its sysfs counterpart
 * would (an input's value is EPERM whatever is written; junk is EINVAL;
 * a name no line has is ENOENT).
 */
function decodeText(data: Buffer): string {
  return data.toString('utf8');
}

export interface AttributeAccess {
  /** Render the current state as `caller` sees it, newline-terminated. */
  readonly show?: (caller: Caller) => string;
  /** Parse and apply one write by `caller`; throw GpioAggError and change nothing on bad input. */
  readonly store?: (text: string, caller: Caller) => void;
  /** Largest accepted write, for control files taking long specs. */
  readonly maxWrite?: number;
  /** Each successful write is a change to audit (line settings, export/unexport). */
  readonly audited?: boolean;
  /**
   * For poll, as sysfs_notify does: `changed` is called on each change
   * (a `value`'s edge); returns an unsubscribe function.
   */
  readonly watch?: (changed: () => void) => () => void;
}

/**
 * A sysfs-style attribute file. Every read at offset 0 renders the state
 * afresh; reads further on continue that same rendering (like seq_file), so
 * `cat` sees one consistent text and `pread(fd, …, 0)` always sees now.
 */
export class AttributeFile extends FileNode {
  constructor(mode: number, private readonly access: AttributeAccess) {
    super(mode);
  }

  get readable(): boolean { return this.access.show !== undefined; }
  get writable(): boolean { return this.access.store !== undefined; }
  override get audited(): boolean { return this.access.audited === true; }

  open(_options: OpenOptions): OpenFile {
    const { show, store } = this.access;
    const maxWrite = this.access.maxWrite ?? MAX_WRITE;
    let rendering: Buffer | undefined;
    // A watched attribute polls as sysfs does: POLLPRI|POLLERR after a change, until read again from offset 0.
    let changed = false;
    let wake: (() => void) | undefined;
    const unwatch = this.access.watch?.(() => {
      changed = true;
      const waiting = wake;
      wake = undefined;
      waiting?.();
    });
    return {
      read(length: number, position: number, caller: Caller): Buffer {
        if (show === undefined) throw new GpioAggError('EBADF', 'attribute is write-only');
        if (position === 0 || rendering === undefined) {
          changed = false;
          rendering = Buffer.from(show(caller), 'utf8');
        }
        return rendering.subarray(position, position + length);
      },
      poll: unwatch === undefined ? undefined : (waiter: () => void): number => {
        wake = waiter;
        return changed ? CHANGED_POLLMASK : DEFAULT_POLLMASK;
      },
      write(data: Buffer, _position: number, caller: Caller): number {
        if (store === undefined) throw new GpioAggError('EBADF', 'attribute is read-only');
        if (data.length > maxWrite) {
          throw new GpioAggError('EINVAL', `write of ${data.length} bytes exceeds the ${maxWrite}-byte limit`);
        }
        // kernfs hands store() a C string: like sysfs, the text ends at the first NUL byte.
        const end = data.indexOf(0);
        store(decodeText(end < 0 ? data : data.subarray(0, end)), caller);
        return data.length;
      },
      release(): void {
        unwatch?.();
        wake = undefined;
      },
    };
  }

  protected size(): number {
    return ATTRIBUTE_SIZE;
  }
}
