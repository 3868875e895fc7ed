import type { Aggregator } from '../aggregator/aggregator.js';
import type { AggregatedLine } from '../aggregator/aggregated-line.js';
import { FileNode, type OpenFile, type OpenOptions } from './file-node.js';
import { EventStream } from './event-stream.js';

/** `lineK/events`: each open gets its own stream of the line's edge events. */
export class EventFile extends FileNode {
  readonly readable = true;
  readonly writable = false;

  constructor(mode: number, private readonly aggregator: Aggregator, private readonly line: AggregatedLine) {
    super(mode);
  }

  open(options: OpenOptions): OpenFile {
    const stream = new EventStream();
    const unsubscribeEdges = this.line.onEdge((event) => stream.push(event));
    const unsubscribeClose = this.aggregator.onClose(() => stream.end());
    return {
      read: (length) => stream.read(length, options.nonBlocking),
      write: () => 0,
      interrupt: () => stream.interrupt(),
      release: () => {
        unsubscribeEdges();
        unsubscribeClose();
        stream.end();
      },
    };
  }

  protected size(): number {
    return 0;
  }
}
