/**
 * Edge events of one libgpiod 2.x line request, read from the request's own
 * descriptor (`gpiod_line_request_get_fd`) when epoll reports it readable.
 * The kernel numbers each line's events (line_seqno, from 1); a gap in the
 * numbers is events it dropped because the request's queue was full, which
 * reach readers as `dropped` on the next event (and so as `overflow N`).
 */
import createDebug from 'debug';
import type { EdgeEvent } from './backend.js';
import {
  GPIOD_EDGE_EVENT_FALLING_EDGE, GPIOD_EDGE_EVENT_RISING_EDGE,
  type GpiodEdgeEventBuffer, type GpiodLineRequest, type Libgpiod2Api, libgpiod2Error,
} from './libgpiod2-ffi.js';

const log = createDebug('gpio-aggfs:gpio:libgpiod2-events');

/** Events taken per read; more pending ones make epoll report the descriptor again. */
export const EVENTS_PER_READ = 64;

/** The number of events missing between two line sequence numbers (0 after a restart of the numbering). */
export function droppedBetween(previous: number, seqno: number): number {
  return seqno > previous + 1 ? seqno - previous - 1 : 0;
}

/**
 * The last line sequence number seen on a request. It lives as long as the
 * request, not as a reader: the kernel keeps numbering across in-place edge
 * changes (edge none, then both again, continues where it was), and a new
 * reader starting from 0 would count every earlier event as dropped.
 */
export interface LineSequence {
  last: number;
}

export class Libgpiod2EventReader {
  readonly #api: Libgpiod2Api;
  readonly #request: GpiodLineRequest;
  readonly #buffer: GpiodEdgeEventBuffer;
  readonly #sequence: LineSequence;
  #freed = false;

  constructor(api: Libgpiod2Api, request: GpiodLineRequest, sequence: LineSequence) {
    const buffer = api.gpiod_edge_event_buffer_new(EVENTS_PER_READ);
    if (buffer === null) throw libgpiod2Error('gpiod_edge_event_buffer_new');
    this.#api = api;
    this.#request = request;
    this.#buffer = buffer;
    this.#sequence = sequence;
  }

  /** Read what is queued (the caller knows the descriptor is readable). */
  read(): EdgeEvent[] {
    const api = this.#api;
    const count = api.gpiod_line_request_read_edge_events(this.#request, this.#buffer, EVENTS_PER_READ);
    if (count < 0) throw libgpiod2Error('reading edge events');
    const events: EdgeEvent[] = [];
    for (let i = 0; i < count; i++) {
      const event = api.gpiod_edge_event_buffer_get_event(this.#buffer, i);
      if (event === null) continue;
      const type = api.gpiod_edge_event_get_event_type(event);
      const timestampNs = BigInt(api.gpiod_edge_event_get_timestamp_ns(event));
      const seqno = api.gpiod_edge_event_get_line_seqno(event);
      const dropped = droppedBetween(this.#sequence.last, seqno);
      this.#sequence.last = seqno;
      if (dropped > 0) log('the kernel dropped %d events before seqno %d', dropped, seqno);
      if (type === GPIOD_EDGE_EVENT_RISING_EDGE) events.push({ timestampNs, type: 'rising', dropped });
      else if (type === GPIOD_EDGE_EVENT_FALLING_EDGE) events.push({ timestampNs, type: 'falling', dropped });
      else log('skipping edge event of unknown type %d', type);
    }
    return events;
  }

  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    this.#api.gpiod_edge_event_buffer_free(this.#buffer);
  }
}
