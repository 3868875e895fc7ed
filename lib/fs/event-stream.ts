import { GpioAggError } from '../errors.js';
import type { EdgeEvent } from '../gpio/backend.js';

/** How many events one reader may have queued before the oldest are dropped. */
export const EVENT_QUEUE_LIMIT = 1024;

interface PendingRead {
  readonly length: number;
  readonly resolve: (data: Buffer) => void;
  readonly reject: (err: GpioAggError) => void;
}

/**
 * The per-open queue behind an `events` file: starts empty at open, bounded
 * (oldest dropped, then reported as `overflow <count>`), a read waits for at
 * least one event, and end-of-file once the stream is ended.
 */
export class EventStream {
  private readonly queue: string[] = [];
  private dropped = 0;
  /** Bytes of a line a short read could not take yet. */
  private partial: Buffer = Buffer.alloc(0);
  private readonly waiting: PendingRead[] = [];
  private ended = false;

  constructor(private readonly limit = EVENT_QUEUE_LIMIT) {}

  push(event: EdgeEvent): void {
    if (this.ended) return;
    this.queue.push(`${event.timestampNs} ${event.type}\n`);
    if (this.queue.length > this.limit) {
      this.queue.shift();
      this.dropped += 1;
    }
    this.serveWaiting();
  }

  /** No more events: waiting and later readers get end-of-file once the queue is drained. */
  end(): void {
    this.ended = true;
    this.serveWaiting();
  }

  get hasData(): boolean {
    return this.partial.length > 0 || this.dropped > 0 || this.queue.length > 0;
  }

  read(length: number, nonBlocking: boolean): Buffer | Promise<Buffer> {
    if (this.hasData || this.ended) return this.take(length);
    if (nonBlocking) throw new GpioAggError('EAGAIN', 'no event queued');
    return new Promise((resolve, reject) => this.waiting.push({ length, resolve, reject }));
  }

  /** Fail every waiting read with EINTR (its caller got a signal); queued events stay for the next read. */
  interrupt(): void {
    const interrupted = this.waiting.splice(0);
    for (const pending of interrupted) pending.reject(new GpioAggError('EINTR', 'read interrupted'));
  }

  private serveWaiting(): void {
    while (this.waiting.length > 0 && (this.hasData || this.ended)) {
      const pending = this.waiting.shift() as PendingRead;
      pending.resolve(this.take(pending.length));
    }
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
    if (this.dropped > 0 && size < length) {
      const notice = Buffer.from(`overflow ${this.dropped}\n`);
      this.dropped = 0;
      if (!append(notice)) return Buffer.concat(chunks);
    }
    while (this.queue.length > 0) {
      // A line that does not fit whole is split only when nothing was returned yet,
      // so normal reads always end on a line boundary.
      const line = Buffer.from(this.queue[0] as string);
      if (size > 0 && line.length > length - size) break;
      this.queue.shift();
      if (!append(line)) break;
    }
    return Buffer.concat(chunks);
  }
}
