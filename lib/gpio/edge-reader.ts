/**
 * Edge events for lines requested through node-libgpiod, and the epoll
 * watcher that both libgpiod backends read their event descriptors through.
 *
 * node-libgpiod can request a line for edge events but cannot read them: the
 * event file descriptor that libgpiod 1.6 opens (GPIO uAPI v1,
 * GPIO_GET_LINEEVENT_IOCTL) is not exposed. This module is the one place that
 * fills that gap: it finds the descriptor in /proc/self/fd (its link target
 * is "anon_inode:gpio-event"), watches it with the `epoll` package and
 * decodes the kernel's `struct gpioevent_data` records.
 *
 * The descriptor belongs to libgpiod (it closes it on release); this module
 * only stops watching it.
 */
import { closeSync, openSync, readSync, readdirSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';
import createDebug from 'debug';
import epollModule from 'epoll';
import type { Epoll as EpollInstance } from 'epoll';
import { GpioAggError, fromSystemError } from '../errors.js';
import type { EdgeEvent } from './backend.js';

const { Epoll } = epollModule;
const log = createDebug('gpio-aggfs:gpio:edge-reader');

/** sizeof(struct gpioevent_data): __u64 timestamp, __u32 id, 4 bytes of padding. */
export const GPIOEVENT_DATA_SIZE = 16;
const GPIOEVENT_EVENT_RISING_EDGE = 1;
const GPIOEVENT_EVENT_FALLING_EDGE = 2;
const GPIO_EVENT_LINK = 'anon_inode:gpio-event';
/** Records taken per read; more pending records simply trigger epoll again. */
const RECORDS_PER_READ = 64;
/** The kernel writes the record in host byte order. */
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Decode `length` bytes of `struct gpioevent_data` records. Unknown event
 * ids are skipped (logged); a trailing partial record (the kernel never
 * returns one) is ignored.
 */
export function decodeGpioEvents(buf: Buffer, length = buf.length): EdgeEvent[] {
  const events: EdgeEvent[] = [];
  const whole = length - (length % GPIOEVENT_DATA_SIZE);
  if (whole !== length) log('ignoring %d trailing bytes of a partial gpioevent_data', length - whole);
  for (let at = 0; at < whole; at += GPIOEVENT_DATA_SIZE) {
    const timestampNs = LITTLE_ENDIAN ? buf.readBigUInt64LE(at) : buf.readBigUInt64BE(at);
    const id = LITTLE_ENDIAN ? buf.readUInt32LE(at + 8) : buf.readUInt32BE(at + 8);
    if (id === GPIOEVENT_EVENT_RISING_EDGE) events.push({ timestampNs, type: 'rising' });
    else if (id === GPIOEVENT_EVENT_FALLING_EDGE) events.push({ timestampNs, type: 'falling' });
    else log('skipping gpioevent_data with unknown id %d', id);
  }
  return events;
}

/** The descriptors of this process that are GPIO (uAPI v1) event requests. */
export function gpioEventFds(procFdDir = '/proc/self/fd'): Set<number> {
  const fds = new Set<number>();
  for (const entry of readdirSync(procFdDir)) {
    let target: string;
    try {
      target = readlinkSync(`${procFdDir}/${entry}`);
    } catch {
      continue; // closed meanwhile (e.g. the directory handle readdir used)
    }
    if (target === GPIO_EVENT_LINK) fds.add(Number(entry));
  }
  return fds;
}

/**
 * The one GPIO event descriptor that exists now and was not in `before`.
 * Callers take `before` just ahead of the request that opens it; requests
 * only happen on the main thread, so no other event descriptor can appear
 * in between.
 */
export function findNewEventFd(before: ReadonlySet<number>, procFdDir = '/proc/self/fd'): number {
  const fresh = [...gpioEventFds(procFdDir)].filter((fd) => !before.has(fd));
  if (fresh.length !== 1) {
    throw new GpioAggError('EIO', `expected one new ${GPIO_EVENT_LINK} descriptor, found ${fresh.length}`);
  }
  return fresh[0]!;
}

export type EdgeBatchListener = (events: EdgeEvent[]) => void;
export type EdgeErrorListener = (err: GpioAggError) => void;
/**
 * Reads the events queued on a ready descriptor without blocking (epoll
 * reported data and nothing else reads it); throws a GpioAggError when the
 * read fails. The default reads uAPI v1 `gpioevent_data` records.
 */
export type EdgeEventRead = () => EdgeEvent[];

interface Watch {
  readonly fd: number;
  readonly onEvents: EdgeBatchListener;
  readonly onError: EdgeErrorListener;
  readonly read: EdgeEventRead | undefined;
}

/**
 * Watches GPIO event descriptors for one backend and delivers decoded events
 * on the main thread.
 *
 * The `epoll` package runs a single watcher thread that hands one ready fd
 * *number* at a time to the main thread. An event it picked up just before
 * a descriptor was unwatched can therefore still arrive afterwards — and if
 * libgpiod has meanwhile reused that number for a new event request, reading
 * it would block the main thread on an empty queue (the descriptor is
 * blocking and Node offers no fcntl). So an unwatched number stays
 * "quarantined" until a fence — an always-readable /proc/self/mounts
 * descriptor registered one-shot after the unwatch — comes through the same
 * queue; events for a quarantined number are ignored (level-triggered epoll
 * reports genuine ones again).
 */
export class EdgeWatcher {
  #epoll: EpollInstance | null = null;
  readonly #watches = new Map<number, Watch>();
  /** fd → fence generation that must pass before events on it are trusted. */
  readonly #quarantine = new Map<number, number>();
  #generation = 0;
  #fence: { fd: number; generation: number; armed: boolean } | null = null;
  readonly #buf = Buffer.alloc(GPIOEVENT_DATA_SIZE * RECORDS_PER_READ);
  #closed = false;

  /** Start delivering the events of `fd`. Returns the function that stops it. */
  watch(fd: number, onEvents: EdgeBatchListener, onError: EdgeErrorListener, read?: EdgeEventRead): () => void {
    if (this.#closed) throw new GpioAggError('EBADF', 'edge watcher is closed');
    if (this.#watches.has(fd)) throw new GpioAggError('EBUSY', `fd ${fd} is already watched`);
    const watch: Watch = { fd, onEvents, onError, read };
    try {
      this.#poller().add(fd, Epoll.EPOLLIN);
    } catch (err) {
      throw fromSystemError(err, `watching gpio event fd ${fd}`);
    }
    this.#watches.set(fd, watch);
    log('watching fd %d%s', fd, this.#quarantine.has(fd) ? ' (quarantined)' : '');
    return () => this.#unwatch(watch);
  }

  /** Stop every watch and free the epoll registration. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Closing the epoll instance drops its registrations, so a late event
    // for any of these numbers finds no listener: no fence needed.
    for (const watch of [...this.#watches.values()]) this.#unwatch(watch, false);
    this.#quarantine.clear();
    this.#dropFence();
    this.#epoll?.close();
    this.#epoll = null;
  }

  #poller(): EpollInstance {
    this.#epoll ??= new Epoll((err, fd, events) => this.#onReady(err, fd, events));
    return this.#epoll;
  }

  #unwatch(watch: Watch, fence = true): void {
    if (this.#watches.get(watch.fd) !== watch) return;
    this.#watches.delete(watch.fd);
    try {
      this.#epoll?.remove(watch.fd);
    } catch (err) {
      // Only possible if the descriptor was closed first; nothing is left to undo.
      log('removing fd %d from epoll: %s', watch.fd, err instanceof Error ? err.message : String(err));
    }
    if (fence) {
      this.#quarantine.set(watch.fd, this.#generation);
      this.#armFence();
    }
    log('stopped watching fd %d', watch.fd);
  }

  #armFence(): void {
    if (this.#fence?.armed) return;
    const poller = this.#poller();
    const events = Epoll.EPOLLIN | Epoll.EPOLLONESHOT;
    try {
      if (this.#fence) {
        this.#fence.generation = this.#generation++;
        poller.modify(this.#fence.fd, events);
        this.#fence.armed = true;
      } else {
        const fd = openSync('/proc/self/mounts', 'r');
        this.#fence = { fd, generation: this.#generation++, armed: true };
        poller.add(fd, events);
      }
    } catch (err) {
      // Without a fence quarantined numbers stay ignored: events on a reused
      // number are lost rather than blocking the daemon.
      log('cannot arm the epoll fence: %s', err instanceof Error ? err.message : String(err));
    }
  }

  #dropFence(): void {
    const fence = this.#fence;
    if (!fence) return;
    this.#fence = null;
    try {
      this.#epoll?.remove(fence.fd);
    } catch {
      // never registered (add failed)
    }
    closeSync(fence.fd);
  }

  #onReady(err: Error | null, fd: number, events: number): void {
    if (err) {
      log('epoll_wait failed: %s', err.message);
      return;
    }
    const fence = this.#fence;
    if (fence && fd === fence.fd) {
      fence.armed = false;
      for (const [qfd, generation] of this.#quarantine) {
        if (generation <= fence.generation) this.#quarantine.delete(qfd);
      }
      if (this.#quarantine.size > 0) this.#armFence();
      else this.#dropFence();
      return;
    }
    const watch = this.#watches.get(fd);
    if (!watch || this.#quarantine.has(fd)) return;
    if ((events & Epoll.EPOLLIN) === 0) {
      // EPOLLERR/EPOLLHUP alone: the chip went away; level-triggered epoll
      // would report it forever, so stop watching.
      this.#unwatch(watch);
      watch.onError(new GpioAggError('ENODEV', `gpio event fd ${fd} hung up (events 0x${events.toString(16)})`));
      return;
    }
    let decoded: EdgeEvent[];
    try {
      // Does not block: epoll reported data and nothing else reads this fd.
      decoded = watch.read ? watch.read() : decodeGpioEvents(this.#buf, readSync(fd, this.#buf, 0, this.#buf.length, null));
    } catch (readErr) {
      this.#unwatch(watch);
      watch.onError(readErr instanceof GpioAggError ? readErr : fromSystemError(readErr, `reading gpio event fd ${fd}`));
      return;
    }
    if (decoded.length > 0) watch.onEvents(decoded);
  }
}
