import type { Aggregator } from '../aggregator/aggregator.js';
import type { Owner } from '../aggregator/registry.js';
import { AttributeFile } from './attribute-file.js';
import { DirectoryNode } from './directory.js';
import { FileNode } from './file-node.js';
import { lineDirectory } from './line-directory.js';
import { SYSFS_VIEW } from './sysfs/global-view.js';

const LINE_DIRECTORY = /^line(0|[1-9][0-9]*)$/;

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

/**
 * Give an aggregator's directory to its creator: `gpio-agg.N`, every
 * `lineK` and every writable attribute in them (what `sysfs-gpio/` holds
 * follows: its export/unexport follow gpio-agg.N, its gpioN/ entries share
 * lineK's). Read-only entries stay root's, as the kernel's would.
 */
export function giveAggregatorTo(directory: DirectoryNode, owner: Owner): void {
  directory.chown(owner.uid, owner.gid);
  for (const [name, line] of directory.children()) {
    if (!LINE_DIRECTORY.test(name) || !(line instanceof DirectoryNode)) continue;
    line.chown(owner.uid, owner.gid);
    for (const [, attribute] of line.children()) {
      if (attribute instanceof FileNode && attribute.writable) attribute.chown(owner.uid, owner.gid);
    }
  }
}
