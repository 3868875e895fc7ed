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
export const S_IFLNK = 0o120000;
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

  abstract readonly type: 'directory' | 'file' | 'symlink';

  /** Set for a second name of another entry: mode, owner and group are that entry's. */
  private permissionSource: FsNode | undefined;
  /** Set while owner and group follow another entry's (until chowned directly). */
  private ownerSource: FsNode | undefined;

  get mode(): number { return this.permissionSource?.mode ?? this.permissions; }
  get uid(): number { return (this.permissionSource ?? this.ownerSource)?.uid ?? this.owner; }
  get gid(): number { return (this.permissionSource ?? this.ownerSource)?.gid ?? this.group; }

  /**
   * True when mode, owner or group differ from what the entry is created
   * with. A second name is never customised itself: its entry is.
   */
  get isCustomised(): boolean {
    if (this.permissionSource !== undefined) return false;
    return this.permissions !== this.defaultMode || this.owner !== 0 || this.group !== 0;
  }

  /** Entries that show this one's mode or owner (weakly held: a removed second name goes). */
  private readonly followers = new Set<WeakRef<FsNode>>();

  /** Make this entry show and change the mode, owner and group of `node`. */
  sharePermissionsOf(node: FsNode): this {
    this.permissionSource = node;
    node.followers.add(new WeakRef(this));
    return this;
  }

  /** Owner and group are those of `node` until this entry is chowned itself. */
  followOwnerOf(node: FsNode): this {
    this.ownerSource = node;
    node.followers.add(new WeakRef(this));
    return this;
  }

  /**
   * Every entry whose stat a chmod/chown of this one may change: the entry
   * whose permissions it shows, and everything showing that one's (for a
   * transport's cache invalidation).
   */
  sharingMetadata(): FsNode[] {
    let source: FsNode = this;
    while (source.permissionSource !== undefined) source = source.permissionSource;
    const found = new Set<FsNode>([source, this]);
    const pending: FsNode[] = [source];
    for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
      for (const ref of node.followers) {
        const follower = ref.deref();
        if (follower === undefined) node.followers.delete(ref);
        else if (!found.has(follower)) { found.add(follower); pending.push(follower); }
      }
    }
    return [...found];
  }

  chmod(mode: number): void {
    if (this.permissionSource !== undefined) {
      this.permissionSource.chmod(mode);
      return;
    }
    this.permissions = mode & PERMISSION_BITS;
    this.ctime = new Date();
  }

  /** `undefined` leaves that id unchanged (chown's -1). */
  chown(uid: number | undefined, gid: number | undefined): void {
    if (this.permissionSource !== undefined) {
      this.permissionSource.chown(uid, gid);
      return;
    }
    if (this.ownerSource !== undefined) {
      this.owner = this.ownerSource.uid;
      this.group = this.ownerSource.gid;
      this.ownerSource = undefined;
    }
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
    const format = this.type === 'directory' ? S_IFDIR : this.type === 'symlink' ? S_IFLNK : S_IFREG;
    // Through the accessors, so that an entry sharing another's permissions shows them.
    return {
      mode: format | this.mode,
      uid: this.uid,
      gid: this.gid,
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
