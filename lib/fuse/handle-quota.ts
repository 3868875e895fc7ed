/** Open files and directories one non-root user may hold at once on a mount. */
export const MAX_HANDLES_PER_USER = 16384;

/**
 * How many open files and directories each user holds. The kernel bounds
 * what one process opens, not what a user's processes together make the
 * daemon keep (each open is a record here, each open directory a listing):
 * past `limit` a non-root user's open is refused (EMFILE) until one of theirs
 * is closed. Root, who can stop the daemon anyway, is not counted.
 */
export class HandleQuota {
  private readonly held = new Map<number, number>();

  constructor(private readonly limit = MAX_HANDLES_PER_USER) {}

  /** Count one more handle of `uid`; false (nothing counted) when it already holds `limit`. */
  take(uid: number): boolean {
    if (uid === 0) return true;
    const count = this.held.get(uid) ?? 0;
    if (count >= this.limit) return false;
    this.held.set(uid, count + 1);
    return true;
  }

  /** A handle of `uid` was closed. */
  give(uid: number): void {
    if (uid === 0) return;
    const count = this.held.get(uid) ?? 0;
    if (count <= 1) this.held.delete(uid);
    else this.held.set(uid, count - 1);
  }

  /** Handles `uid` holds (0 for root, who is not counted). */
  of(uid: number): number {
    return this.held.get(uid) ?? 0;
  }
}
