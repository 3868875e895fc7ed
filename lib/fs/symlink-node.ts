import { FsNode } from './node.js';

/**
 * A symbolic link, as sysfs shows `device` and `subsystem`: mode 0777 and,
 * like sysfs links, size 0 (readlink() does not depend on it). The target is
 * computed when read, so a link can follow what it points to.
 */
export class SymlinkNode extends FsNode {
  readonly type = 'symlink';

  constructor(private readonly resolveTarget: () => string) {
    super(0o777);
  }

  get target(): string {
    return this.resolveTarget();
  }

  protected size(): number {
    return 0;
  }

  protected linkCount(): number {
    return 1;
  }
}
