import type { ChipInfo } from '../../gpio/backend.js';
import type { SysfsLine } from '../../sysfs/sysfs-line.js';
import { AttributeFile } from '../attribute-file.js';
import { DirectoryNode } from '../directory.js';
import type { FsNode } from '../node.js';
import { SymlinkNode } from '../symlink-node.js';
import type { DeviceLinks } from './device-links.js';
import { powerDirectory, subsystemLink, ueventFile } from './device-files.js';

/** The attribute files of `gpioN/` that act on the line, by name. */
export type LineAttributeName = 'value' | 'direction' | 'edge' | 'active_low';

/**
 * `gpioN/`: value, direction, edge and active_low (0644) with gpiolib-sysfs
 * semantics, plus device, power/, subsystem and uevent. `value` is made by
 * the caller, so that it is the same kind of file as `lineK/value`.
 */
export function sysfsLineDirectory(
  chip: ChipInfo, line: SysfsLine, value: FsNode, links: DeviceLinks, depth: number,
): DirectoryNode {
  const attribute = (show: () => string, store: (text: string) => void): AttributeFile =>
    new AttributeFile(0o644, { show: () => `${show()}\n`, store, audited: true });
  const device = links.lineDevice(chip, depth);
  return new DirectoryNode(0o755)
    .add('active_low', attribute(() => (line.activeLow() ? '1' : '0'), (text) => line.writeActiveLow(text)))
    .add('device', new SymlinkNode(() => device))
    .add('direction', attribute(() => line.direction(), (text) => line.writeDirection(text)))
    .add('edge', attribute(() => line.edge(), (text) => line.writeEdge(text)))
    .add('power', powerDirectory())
    .add('subsystem', subsystemLink(1))
    .add('uevent', ueventFile())
    .add('value', value);
}
