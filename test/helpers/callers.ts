import type { Caller } from '../../lib/fs/caller.js';

/** Root, as the kernel names it in a request from this process. */
export const ROOT: Caller = { uid: 0, gid: 0, pid: process.pid };

/** A non-root caller; the pid is made up (nothing looks it up). */
export function user(uid: number, gid = uid, pid = 10000 + uid): Caller {
  return { uid, gid, pid };
}
