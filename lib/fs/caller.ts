/**
 * Who made a request: the uid, primary gid and pid the kernel puts in every
 * FUSE request. The same shape as the direct transport's Caller, so that it
 * passes the kernel's caller straight in.
 */
export interface Caller {
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
}

/**
 * The caller when it is not known: a binding that cannot tell who asked
 * (fuse-native does not expose fuse_get_context) or the daemon itself. It
 * acts with the daemon's rights, as every request did before callers were
 * known: the kernel has already checked the entry's mode and owner
 * (default_permissions), and nothing is decided per caller.
 */
export const UNKNOWN_CALLER: Caller = Object.freeze({ uid: 0, gid: 0, pid: 0 });

export function isUnknownCaller(caller: Caller): boolean {
  return caller === UNKNOWN_CALLER;
}

/** Root, or a caller no binding could name (it acts with the daemon's rights). */
export function isPrivileged(caller: Caller): boolean {
  return caller.uid === 0;
}
