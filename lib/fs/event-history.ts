import { GpioAggError } from '../errors.js';
import type { EdgeEvent } from '../gpio/backend.js';

/** How many events of one line are kept for its readers; a reader further behind is told `overflow N`. */
export const EVENT_HISTORY_LIMIT = 1024;

interface PendingRead {
  readonly length: number;
  readonly resolve: (data: Buffer) => void;
  readonly reject: (err: GpioAggError) => void;
  readonly detach: () => void;
}

/**
 * The one bounded history of a line's edge events, shared by all its
 * readers. An event is stored once in a ring; each reader only holds its
 * position (the sequence number of the next event it has not read), so
 * memory does not grow with the number of readers, and an edge costs the
 * same however many are open: only readers that wait (a blocked read or a
 * readiness callback) are woken.
 */
export class EventHistory {
  private readonly ring: (string | undefined)[];
  /** Sequence number of the next event pushed; events next-limit..next-1 are in the ring. */
  private next = 0;
  private ended = false;
  private readonly waiters = new Set<EventReader>();

  constructor(private readonly limit = EVENT_HISTORY_LIMIT) {
    this.ring = new Array<string | undefined>(limit);
  }

  push(event: EdgeEvent): void {
    if (this.ended) return;
    // Events the kernel dropped before this one (uAPI v2 sequence numbers) are
    // told to every reader of it, as the ones this ring loses are.
    const lost = event.dropped ? `overflow ${event.dropped}\n` : '';
    this.ring[this.next % this.limit] = `${lost}${event.timestampNs} ${event.type}\n`;
    this.next += 1;
    this.wakeWaiters();
  }

  /** No more events: every reader gets end-of-file once it has read what is kept. */
  end(): void {
    this.ended = true;
    this.wakeWaiters();
  }

  /** Drop what is kept (no reader left); sequence numbers go on. */
  clear(): void {
    this.ring.fill(undefined);
  }

  /** A reader that starts empty: it sees events pushed from now on. */
  reader(): EventReader {
    return new EventReader(this, this.next);
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get sequence(): number {
    return this.next;
  }

  /** The oldest sequence number still kept. */
  get oldest(): number {
    return Math.max(0, this.next - this.limit);
  }

  /** The line of event `sequence` (which must be kept). */
  line(sequence: number): string {
    return this.ring[sequence % this.limit] as string;
  }

  /** @internal used by EventReader */
  wait(reader: EventReader): void {
    this.waiters.add(reader);
  }

  /** @internal used by EventReader */
  unwait(reader: EventReader): void {
    this.waiters.delete(reader);
  }

  private wakeWaiters(): void {
    if (this.waiters.size === 0) return;
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const reader of woken) reader.wake();
  }
}

/**
 * One open `events` file: a position in its line's history. A read waits
 * for at least one event (non-blocking → EAGAIN), returns whole lines when
 * they fit, reports `overflow N` when N events were lost to the ring, and
 * returns end-of-file once the stream is ended and everything kept was read.
 */
export class EventReader {
  /** Bytes of a line a short read could not take yet. */
  private partial: Buffer = Buffer.alloc(0);
  private readonly pending: PendingRead[] = [];
  private readonly readyCallbacks = new Set<() => void>();
  private closed = false;

  constructor(private readonly history: EventHistory, private position: number) {}

  /** Something to read, or end-of-file: a read now would not wait. */
  readable(): boolean {
    return this.partial.length > 0 || this.position < this.history.sequence || this.atEnd();
  }

  /**
   * Call `callback` once, when the reader becomes readable (at once, on a
   * microtask, when it already is). Returns a function that cancels it.
   */
  onReadable(callback: () => void): () => void {
    if (this.readable()) {
      let cancelled = false;
      queueMicrotask(() => { if (!cancelled) callback(); });
      return () => { cancelled = true; };
    }
    this.readyCallbacks.add(callback);
    this.history.wait(this);
    return () => {
      this.readyCallbacks.delete(callback);
      this.unwaitIfIdle();
    };
  }

  /**
   * Read at most `length` bytes. `signal` interrupts this read alone: a
   * waiting read then fails with EINTR and what is kept stays for the next.
   */
  read(length: number, nonBlocking: boolean, signal?: AbortSignal): Buffer | Promise<Buffer> {
    if (signal?.aborted === true) throw new GpioAggError('EINTR', 'read interrupted');
    if (this.readable()) return this.take(length);
    if (nonBlocking) throw new GpioAggError('EAGAIN', 'no event queued');
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.pending.indexOf(read);
        if (index < 0) return;
        this.pending.splice(index, 1);
        this.unwaitIfIdle();
        reject(new GpioAggError('EINTR', 'read interrupted'));
      };
      const read: PendingRead = {
        length,
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.push(read);
      this.history.wait(this);
    });
  }

  /** Fail every waiting read of this reader with EINTR; what is kept stays for the next read. */
  interrupt(): void {
    const interrupted = this.pending.splice(0);
    this.unwaitIfIdle();
    for (const read of interrupted) {
      read.detach();
      read.reject(new GpioAggError('EINTR', 'read interrupted'));
    }
  }

  /** No more for this reader (released, or the service stops): waiting reads get what is kept, then end-of-file. */
  close(): void {
    this.closed = true;
    this.wake();
    this.history.unwait(this);
  }

  /** @internal called by the history when an event arrived or the stream ended. */
  wake(): void {
    while (this.pending.length > 0 && this.readable()) {
      const read = this.pending.shift() as PendingRead;
      read.detach();
      read.resolve(this.take(read.length));
    }
    if (this.readable() && this.readyCallbacks.size > 0) {
      const callbacks = [...this.readyCallbacks];
      this.readyCallbacks.clear();
      for (const callback of callbacks) callback();
    }
    if (!this.unwaitIfIdle()) this.history.wait(this);
  }

  private atEnd(): boolean {
    return this.closed || this.history.isEnded;
  }

  /** Leave the history's waiters when nothing of this reader waits; true when it left. */
  private unwaitIfIdle(): boolean {
    if (this.pending.length > 0 || this.readyCallbacks.size > 0) return false;
    this.history.unwait(this);
    return true;
  }

  private take(length: number): Buffer {
    const chunks: Buffer[] = [];
    let size = 0;
    const append = (chunk: Buffer): boolean => {
      const room = length - size;
      if (room <= 0) return false;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        this.partial = chunk.subarray(room);
        size = length;
        return false;
      }
      chunks.push(chunk);
      size += chunk.length;
      return true;
    };
    const leftover = this.partial;
    this.partial = Buffer.alloc(0);
    if (leftover.length > 0 && !append(leftover)) return Buffer.concat(chunks);
    const oldest = this.history.oldest;
    if (this.position < oldest && size < length) {
      const notice = Buffer.from(`overflow ${oldest - this.position}\n`);
      this.position = oldest;
      if (!append(notice)) return Buffer.concat(chunks);
    }
    while (this.position < this.history.sequence) {
      // A line that does not fit whole is split only when nothing was returned yet,
      // so normal reads always end on a line boundary.
      const line = Buffer.from(this.history.line(this.position));
      if (size > 0 && line.length > length - size) break;
      this.position += 1;
      if (!append(line)) break;
    }
    return Buffer.concat(chunks);
  }
}
