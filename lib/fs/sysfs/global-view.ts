import createDebug from 'debug';
import type { ExportedLine } from '../../sysfs/exports.js';
import type { LegacySysfs } from '../../sysfs/legacy-sysfs.js';
import type { ChipRange } from '../../sysfs/numbering.js';
import { AttributeFile } from '../attribute-file.js';
import { DirectoryNode } from '../directory.js';
import { valueFile } from '../line-directory.js';
import { sysfsChipDirectory } from './chip-directory.js';
import type { DeviceLinks } from './device-links.js';
import { sysfsLineDirectory } from './line-directory.js';

const log = createDebug('gpio-aggfs:fs:sysfs');

/** Where the global view is in the mount (and each aggregator's view in its directory). */
export const SYSFS_VIEW = 'sysfs-gpio';
const IN_A_VIEW = new RegExp(`^/*(gpio-agg\\.(0|[1-9][0-9]*)/)?${SYSFS_VIEW}(/|$)`);

/** Whether a path of the mount ("/sysfs-gpio/…", "/gpio-agg.0/sysfs-gpio/…") is inside a legacy sysfs view. */
export function inSysfsView(path: string): boolean {
  return IN_A_VIEW.test(path);
}

/**
 * `<mnt>/sysfs-gpio/`: /sys/class/gpio for every chip. `export` and
 * `unexport` (0200 root) act on the shared export list; `gpiochipB/` follow
 * the chips present and `gpioN/` the exported lines. When a line is
 * unexported, the permissions its entries were given are kept (in
 * `sysfs.unexportedPermissions`, saved in the state file) and given back at
 * its next export.
 */
export class GlobalSysfsView {
  readonly directory: DirectoryNode;
  private readonly unsubscribes: (() => void)[] = [];

  constructor(private readonly sysfs: LegacySysfs, private readonly links: DeviceLinks) {
    this.directory = new DirectoryNode(0o755)
      .add('export', new AttributeFile(0o200, { store: (text) => { sysfs.exports.export(text); }, audited: true }))
      .add('unexport', new AttributeFile(0o200, { store: (text) => sysfs.exports.unexport(text), audited: true }));
    for (const range of sysfs.numbering.ranges()) this.addChip(range);
    for (const exported of sysfs.exports.list()) this.addLine(exported);
    this.unsubscribes.push(sysfs.onChipsChange(({ added, removed }) => {
      for (const { chip, base } of removed) {
        log('%s gone', chip.name);
        this.directory.remove(`gpiochip${base}`);
      }
      for (const range of added) this.addChip(range);
    }));
    this.unsubscribes.push(sysfs.exports.onChange(({ type, exported }) => {
      if (type === 'exported') this.addLine(exported);
      else this.removeLine(exported);
    }));
  }

  close(): void {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
  }

  private addChip(range: ChipRange): void {
    this.directory.add(`gpiochip${range.base}`, sysfsChipDirectory(range, this.links, 2));
  }

  private addLine({ gpio, chip, line }: ExportedLine): void {
    const name = `gpio${gpio}`;
    const directory = sysfsLineDirectory(chip, line, valueFile(line), this.links, 2);
    const prefix = `${SYSFS_VIEW}/${name}`;
    for (const [path, { mode, uid, gid }] of [...this.sysfs.unexportedPermissions]) {
      if (path !== prefix && !path.startsWith(`${prefix}/`)) continue;
      const node = path === prefix ? directory : directory.descendant(path.slice(prefix.length + 1));
      if (node !== undefined) {
        node.chmod(mode);
        node.chown(uid, gid);
      }
      this.sysfs.unexportedPermissions.delete(path);
    }
    this.directory.add(name, directory);
  }

  private removeLine({ gpio }: ExportedLine): void {
    const name = `gpio${gpio}`;
    const directory = this.directory.child(name);
    if (!(directory instanceof DirectoryNode)) return;
    const prefix = `${SYSFS_VIEW}/${name}`;
    if (directory.isCustomised) this.keep(prefix, directory);
    for (const [path, node] of directory.walk(prefix)) if (node.isCustomised) this.keep(path, node);
    this.directory.remove(name);
  }

  private keep(path: string, node: { mode: number; uid: number; gid: number }): void {
    this.sysfs.unexportedPermissions.set(path, { mode: node.mode, uid: node.uid, gid: node.gid });
  }
}
