import type { Aggregator } from '../aggregator/aggregator.js';
import type { AggregatedLine } from '../aggregator/aggregated-line.js';
import { FileNode, type OpenFile, type OpenOptions } from './file-node.js';
import { EventHistory } from './event-history.js';

/**
 * `lineK/events`: every open is a reader of the line's one shared history.
 * The line's edges and the aggregator's end are listened to once, while at
 * least one reader is open; the history is dropped when the last one goes.
 */
export class EventFile extends FileNode {
  readonly readable = true;
  readonly writable = false;
  private readonly history = new EventHistory();
  private readers = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(mode: number, private readonly aggregator: Aggregator, private readonly line: AggregatedLine) {
    super(mode);
  }

  open(options: OpenOptions): OpenFile {
    if (this.readers === 0) this.subscribe();
    this.readers += 1;
    const reader = this.history.reader();
    let released = false;
    return {
      read: (length, _position, _caller, signal) => reader.read(length, options.nonBlocking, signal),
      write: () => 0,
      interrupt: () => reader.interrupt(),
      end: () => reader.close(),
      readable: () => reader.readable(),
      onReadable: (callback) => reader.onReadable(callback),
      release: () => {
        if (released) return;
        released = true;
        reader.close();
        this.readers -= 1;
        if (this.readers === 0) this.unsubscribeAll();
      },
    };
  }

  protected size(): number {
    return 0;
  }

  private subscribe(): void {
    const unsubscribeEdges = this.line.onEdge((event) => this.history.push(event));
    const unsubscribeClose = this.aggregator.onClose(() => this.history.end());
    this.unsubscribe = () => {
      unsubscribeEdges();
      unsubscribeClose();
    };
  }

  private unsubscribeAll(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.history.clear();
  }
}
