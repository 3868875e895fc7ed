import type { ChipRange } from '../../sysfs/numbering.js';
import { AttributeFile } from '../attribute-file.js';
import { DirectoryNode } from '../directory.js';
import { SymlinkNode } from '../symlink-node.js';
import type { DeviceLinks } from './device-links.js';
import { powerDirectory, subsystemLink, ueventFile } from './device-files.js';

/**
 * `gpiochipB/`: base, label and ngpio (0444) as chip_*_show() print them,
 * and what every class device has: device, power/, subsystem, uevent.
 * `depth` is how many directories below the mount root it sits.
 */
export function sysfsChipDirectory({ chip, base }: ChipRange, links: DeviceLinks, depth: number): DirectoryNode {
  const readOnly = (text: string): AttributeFile => new AttributeFile(0o444, { show: () => `${text}\n` });
  const device = links.chipDevice(chip, depth);
  return new DirectoryNode(0o755)
    .add('base', readOnly(String(base)))
    .add('device', new SymlinkNode(() => device))
    .add('label', readOnly(chip.label))
    .add('ngpio', readOnly(String(chip.lines)))
    .add('power', powerDirectory())
    .add('subsystem', subsystemLink(1))
    .add('uevent', ueventFile());
}
