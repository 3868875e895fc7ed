/** Owner, group, mode and times of an entry: what `stat` shows and chmod/chown change. */
export interface Stat {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly nlink: number;
  readonly atime: Date;
  readonly mtime: Date;
  readonly ctime: Date;
}

export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
const PERMISSION_BITS = 0o7777;

/** The inode part of an entry, independent of its name and of any open file. */
export abstract class FsNode {
  private permissions: number;
  private owner: number;
  private group: number;
  private atime: Date;
  private mtime: Date;
  private ctime: Date;

  constructor(readonly defaultMode: number) {
    this.permissions = defaultMode;
    this.owner = 0;
    this.group = 0;
    const now = new Date();
    this.atime = now;
    this.mtime = now;
    this.ctime = now;
  }

  abstract readonly type: 'directory' | 'file';

  get mode(): number { return this.permissions; }
  get uid(): number { return this.owner; }
  get gid(): number { return this.group; }

  /** True when mode, owner or group differ from what the entry is created with. */
  get isCustomised(): boolean {
    return this.permissions !== this.defaultMode || this.owner !== 0 || this.group !== 0;
  }

  chmod(mode: number): void {
    this.permissions = mode & PERMISSION_BITS;
    this.ctime = new Date();
  }

  /** `undefined` leaves that id unchanged (chown's -1). */
  chown(uid: number | undefined, gid: number | undefined): void {
    if (uid !== undefined) this.owner = uid;
    if (gid !== undefined) this.group = gid;
    this.ctime = new Date();
  }

  touch(atime: Date, mtime: Date): void {
    this.atime = atime;
    this.mtime = mtime;
    this.ctime = new Date();
  }

  stat(): Stat {
    return {
      mode: (this.type === 'directory' ? S_IFDIR : S_IFREG) | this.permissions,
      uid: this.owner,
      gid: this.group,
      size: this.size(),
      nlink: this.linkCount(),
      atime: this.atime,
      mtime: this.mtime,
      ctime: this.ctime,
    };
  }

  protected abstract size(): number;
  protected abstract linkCount(): number;
}
