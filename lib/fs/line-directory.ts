import type { Aggregator } from '../aggregator/aggregator.js';
import type { AggregatedLine } from '../aggregator/aggregated-line.js';
import type { Bit, EdgeListener } from '../gpio/backend.js';
import { AttributeFile } from './attribute-file.js';
import { DirectoryNode } from './directory.js';
import { EventFile } from './event-file.js';

const READ_WRITE = 0o644;
const READ_ONLY = 0o444;

/** What a `value` file reads, writes and (for poll) watches. */
export interface ValueSource {
  value(): Bit;
  writeValue(text: string): void;
  onEdge(listener: EdgeListener): () => void;
}

/** `value`, the same kind of file in `lineK/` and in the sysfs views' `gpioN/`. */
export function valueFile(line: ValueSource): AttributeFile {
  return new AttributeFile(READ_WRITE, {
    show: () => `${line.value()}\n`,
    store: (text) => line.writeValue(text),
    audited: true,
    // Edges are reported only on a line whose `edge` is not `none`: poll wakes exactly then.
    watch: (changed) => line.onEdge(() => changed()),
  });
}

/** `gpio-agg.N/lineK/`: one attribute file per line setting, as in /sys/class/gpio/gpioN/. */
export function lineDirectory(aggregator: Aggregator, line: AggregatedLine): DirectoryNode {
  const attribute = (show: () => string, store: (text: string) => void): AttributeFile =>
    new AttributeFile(READ_WRITE, { show: () => `${show()}\n`, store, audited: true });
  const readOnly = (show: () => string): AttributeFile =>
    new AttributeFile(READ_ONLY, { show: () => `${show()}\n` });

  return new DirectoryNode(0o755)
    .add('value', valueFile(line))
    .add('direction', attribute(() => line.direction(), (text) => line.writeDirection(text)))
    .add('active_low', attribute(() => (line.activeLow() ? '1' : '0'), (text) => line.writeActiveLow(text)))
    .add('edge', attribute(() => line.edge(), (text) => line.writeEdge(text)))
    .add('debounce_us', attribute(() => String(line.debounceUs()), (text) => line.writeDebounce(text)))
    .add('bias', attribute(() => line.bias(), (text) => line.writeBias(text)))
    .add('drive', attribute(() => line.drive(), (text) => line.writeDrive(text)))
    .add('name', readOnly(() => line.name))
    .add('source', readOnly(() => line.source))
    .add('events', new EventFile(READ_ONLY, aggregator, line));
}
