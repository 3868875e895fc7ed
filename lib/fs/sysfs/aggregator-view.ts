import createDebug from 'debug';
import type { Aggregator } from '../../aggregator/aggregator.js';
import type { AggregatedLine } from '../../aggregator/aggregated-line.js';
import { GpioAggError } from '../../errors.js';
import type { LegacySysfs } from '../../sysfs/legacy-sysfs.js';
import { parseGpioText } from '../../sysfs/exports.js';
import { SysfsLine } from '../../sysfs/sysfs-line.js';
import { AttributeFile } from '../attribute-file.js';
import { DirectoryNode } from '../directory.js';
import { valueFile } from '../line-directory.js';
import type { FsNode } from '../node.js';
import { sysfsChipDirectory } from './chip-directory.js';
import type { DeviceLinks } from './device-links.js';
import { sysfsLineDirectory } from './line-directory.js';

const log = createDebug('gpio-aggfs:fs:sysfs');

/** Entries of `gpioN/` that are second names of the same entries of `lineK/`. */
const SHARED_FILES = ['value', 'direction', 'edge', 'active_low'] as const;

/**
 * `gpio-agg.N/sysfs-gpio/`: /sys/class/gpio for one aggregator's lines, with
 * the global view's numbers. Only this aggregator's lines can be exported
 * (any other number is EINVAL, as for a number no chip has); exporting
 * requests nothing, the lines are held already. `gpioN/` has the owner and
 * mode of `lineK/` and its files those of lineK's files (chmod/chown of
 * either changes both); `export`/`unexport` belong to the owner of
 * gpio-agg.N. Chip directories are shown for the chips the aggregator uses.
 */
export function aggregatorSysfsView(
  aggregator: Aggregator, aggregatorDirectory: DirectoryNode, sysfs: LegacySysfs, links: DeviceLinks,
): DirectoryNode {
  const exported = new Map<number, string>();
  const chipNames = new Set(aggregator.lines.map((line) => line.chipName));
  const directory = new DirectoryNode(0o755).followOwnerOf(aggregatorDirectory);

  const lineOf = (input: string): { gpio: number; index: number; line: AggregatedLine } => {
    const { gpio, written } = parseGpioText(input);
    const index = aggregator.lines.findIndex((line) => sysfs.numbering.gpioOf(line.chipName, line.offset) === gpio);
    const line = aggregator.lines[index];
    if (line === undefined) throw new GpioAggError('EINVAL', `invalid GPIO ${written}: not a line of ${aggregator.name}`);
    return { gpio, index, line };
  };

  const exportLine = (input: string): void => {
    const { gpio, index, line } = lineOf(input);
    const name = `gpio${gpio}`;
    if (exported.has(gpio)) throw new GpioAggError('EBUSY', `GPIO ${gpio} is already exported`);
    const lineDirectory = aggregatorDirectory.child(`line${index}`) as DirectoryNode;
    const gpioDirectory = sysfsLineDirectory(line.handle.chip, new SysfsLine(line.handle), valueFile(line), links, 3)
      .sharePermissionsOf(lineDirectory);
    for (const file of SHARED_FILES) {
      (gpioDirectory.child(file) as FsNode).sharePermissionsOf(lineDirectory.child(file) as FsNode);
    }
    exported.set(gpio, line.chipName);
    directory.add(name, gpioDirectory);
    log('%s: exported %d (line%d)', aggregator.name, gpio, index);
  };

  const unexportLine = (input: string): void => {
    const { gpio } = lineOf(input);
    if (!exported.delete(gpio)) throw new GpioAggError('EINVAL', `GPIO ${gpio} is not exported`);
    directory.remove(`gpio${gpio}`);
  };

  directory
    .add('export', new AttributeFile(0o200, { store: exportLine, audited: true }).followOwnerOf(aggregatorDirectory))
    .add('unexport', new AttributeFile(0o200, { store: unexportLine, audited: true }).followOwnerOf(aggregatorDirectory));
  for (const range of sysfs.numbering.ranges()) {
    if (chipNames.has(range.chip.name)) directory.add(`gpiochip${range.base}`, sysfsChipDirectory(range, links, 3));
  }
  const unsubscribe = sysfs.onChipsChange(({ added, removed }) => {
    for (const { chip, base } of removed) {
      if (!chipNames.has(chip.name)) continue;
      directory.remove(`gpiochip${base}`);
      for (const [gpio, chipName] of [...exported]) {
        if (chipName !== chip.name) continue;
        exported.delete(gpio);
        directory.remove(`gpio${gpio}`);
      }
    }
    for (const range of added) {
      if (chipNames.has(range.chip.name)) directory.add(`gpiochip${range.base}`, sysfsChipDirectory(range, links, 3));
    }
  });
  aggregator.onClose(unsubscribe);
  return directory;
}
