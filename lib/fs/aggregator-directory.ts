import type { Aggregator } from '../aggregator/aggregator.js';
import { AttributeFile } from './attribute-file.js';
import { DirectoryNode } from './directory.js';
import { lineDirectory } from './line-directory.js';
import { SYSFS_VIEW } from './sysfs/global-view.js';

/** Builds `gpio-agg.N/sysfs-gpio/` for an aggregator's directory. */
export type AggregatorView = (aggregator: Aggregator, directory: DirectoryNode) => DirectoryNode;

/** `gpio-agg.N/`: label, ngpio, spec, one `lineK/` per line and, when served, `sysfs-gpio/`. */
export function aggregatorDirectory(aggregator: Aggregator, sysfsView?: AggregatorView): DirectoryNode {
  const readOnly = (text: string): AttributeFile => new AttributeFile(0o444, { show: () => `${text}\n` });
  const directory = new DirectoryNode(0o755)
    .add('label', readOnly(aggregator.name))
    .add('ngpio', readOnly(String(aggregator.lines.length)))
    .add('spec', readOnly(aggregator.spec));
  aggregator.lines.forEach((line, index) => directory.add(`line${index}`, lineDirectory(aggregator, line)));
  if (sysfsView !== undefined) directory.add(SYSFS_VIEW, sysfsView(aggregator, directory));
  return directory;
}
