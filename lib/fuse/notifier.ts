import { Worker } from 'node:worker_threads';
import createDebug from 'debug';

const log = createDebug('gpio-aggfs:fuse:notify');

/**
 * The writer thread. Invalidations take kernel locks (the parent directory's
 * inode lock) that a request waiting to be read may hold: written from the
 * thread that reads requests they can deadlock for good, so they are written
 * here. The fd number is process-wide.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
parentPort.on('message', ({ sequence, data }) => {
  let errno = 0;
  try { writeSync(workerData.fd, data); } catch (err) { errno = typeof err.errno === 'number' ? -err.errno : -1; }
  parentPort.postMessage({ sequence, errno });
});
`;

/** errno of a notification about something the kernel has not cached: harmless. */
const ENOENT = 2;

/**
 * Writes notifications to /dev/fuse from one worker thread, in order.
 * `settled(sequence)` resolves once everything up to `sequence` is written,
 * so a reply can wait until the kernel's caches agree with it.
 */
export class Notifier {
  private readonly worker: Worker;
  private sent = 0;
  private written = 0;
  private readonly waiting: { sequence: number; resolve: () => void }[] = [];
  private closed = false;

  constructor(fd: number) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { fd } });
    this.worker.unref();
    this.worker.on('message', ({ sequence, errno }: { sequence: number; errno: number }) => {
      if (errno !== 0 && errno !== ENOENT) log('notification %d failed: errno %d', sequence, errno);
      this.written = sequence;
      while (this.waiting.length > 0 && (this.waiting[0] as { sequence: number }).sequence <= sequence) {
        this.waiting.shift()?.resolve();
      }
    });
    this.worker.on('error', (err) => log('notification writer failed: %O', err));
  }

  /** The sequence number of the last notification queued. */
  get sequence(): number {
    return this.sent;
  }

  send(data: Buffer): number {
    if (this.closed) return this.sent;
    this.sent += 1;
    this.worker.postMessage({ sequence: this.sent, data });
    return this.sent;
  }

  settled(sequence: number): Promise<void> {
    if (this.closed || this.written >= sequence) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ sequence, resolve }));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.resolve();
    await this.worker.terminate();
  }
}
