import type { Aggregator } from '../aggregator/aggregator.js';
import { AttributeFile } from './attribute-file.js';
import { DirectoryNode } from './directory.js';
import { lineDirectory } from './line-directory.js';

/** `gpio-agg.N/`: label, ngpio, spec and one `lineK/` per line. */
export function aggregatorDirectory(aggregator: Aggregator): DirectoryNode {
  const readOnly = (text: string): AttributeFile => new AttributeFile(0o444, { show: () => `${text}\n` });
  const directory = new DirectoryNode(0o755)
    .add('label', readOnly(aggregator.name))
    .add('ngpio', readOnly(String(aggregator.lines.length)))
    .add('spec', readOnly(aggregator.spec));
  aggregator.lines.forEach((line, index) => directory.add(`line${index}`, lineDirectory(aggregator, line)));
  return directory;
}
