import * as abi from './kernel-abi.js';

/** struct fuse_in_header, as every request starts. */
export interface RequestHeader {
  readonly len: number;
  readonly opcode: number;
  readonly unique: number;
  readonly nodeid: number;
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
}

interface Base<Op extends string> {
  readonly op: Op;
  readonly header: RequestHeader;
}

export interface ForgetOne { readonly nodeid: number; readonly nlookup: number }

/** Everything after the header that the time fields of fuse_setattr_in carry, in milliseconds. */
export interface SetattrIn {
  readonly valid: number;
  readonly fh: number;
  readonly size: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** One decoded request: the header and its opcode's body. */
export type Request =
  | Base<'LOOKUP'> & { readonly name: string }
  | Base<'FORGET'> & { readonly nlookup: number }
  | Base<'BATCH_FORGET'> & { readonly forgets: readonly ForgetOne[] }
  | Base<'GETATTR'> & { readonly getattrFlags: number; readonly fh: number }
  | Base<'SETATTR'> & SetattrIn
  | Base<'READLINK'>
  | Base<'SYMLINK'> & { readonly name: string; readonly target: string }
  | Base<'MKNOD'> & { readonly mode: number; readonly rdev: number; readonly umask: number; readonly name: string }
  | Base<'MKDIR'> & { readonly mode: number; readonly umask: number; readonly name: string }
  | Base<'UNLINK' | 'RMDIR'> & { readonly name: string }
  | Base<'RENAME'> & { readonly newdir: number; readonly flags: number; readonly name: string; readonly newname: string }
  | Base<'LINK'> & { readonly oldnodeid: number; readonly name: string }
  | Base<'OPEN' | 'OPENDIR'> & { readonly flags: number; readonly openFlags: number }
  | Base<'CREATE'> & { readonly flags: number; readonly mode: number; readonly umask: number; readonly openFlags: number; readonly name: string }
  | Base<'READ' | 'READDIR' | 'READDIRPLUS'> & { readonly fh: number; readonly offset: number; readonly size: number; readonly flags: number }
  | Base<'WRITE'> & { readonly fh: number; readonly offset: number; readonly size: number; readonly flags: number; readonly data: Buffer }
  | Base<'STATFS' | 'DESTROY' | 'SYNCFS'>
  | Base<'RELEASE' | 'RELEASEDIR'> & { readonly fh: number; readonly flags: number; readonly releaseFlags: number }
  | Base<'FLUSH'> & { readonly fh: number }
  | Base<'FSYNC' | 'FSYNCDIR'> & { readonly fh: number; readonly fsyncFlags: number }
  | Base<'SETXATTR'> & { readonly size: number; readonly flags: number; readonly name: string; readonly value: Buffer }
  | Base<'GETXATTR'> & { readonly size: number; readonly name: string }
  | Base<'LISTXATTR'> & { readonly size: number }
  | Base<'REMOVEXATTR'> & { readonly name: string }
  | Base<'ACCESS'> & { readonly mask: number }
  | Base<'INIT'> & { readonly major: number; readonly minor: number; readonly maxReadahead: number; readonly flags: number; readonly flags2: number }
  | Base<'INTERRUPT'> & { readonly interrupted: number }
  | Base<'IOCTL'> & { readonly fh: number; readonly flags: number; readonly cmd: number; readonly inSize: number; readonly outSize: number }
  | Base<'POLL'> & { readonly fh: number; readonly kh: number; readonly flags: number; readonly events: number }
  | Base<'FALLOCATE'> & { readonly fh: number; readonly offset: number; readonly length: number; readonly mode: number }
  | Base<'LSEEK'> & { readonly fh: number; readonly offset: number; readonly whence: number }
  /** An opcode this transport has no decoder for: answered with ENOSYS. */
  | Base<'UNKNOWN'>;

export type Opcode = Request['op'];

/**
 * A request that could not be decoded. When the header's unique could be
 * read, the session answers it with `errno`; a buffer too short even for
 * that (the kernel never sends one) cannot be answered.
 */
export interface MalformedRequest {
  readonly op: 'MALFORMED';
  readonly unique: number | undefined;
  readonly opcode: number | undefined;
  readonly errno: 'EIO' | 'EINVAL';
  readonly reason: string;
}

class Truncated extends Error {}

/** Little-endian reads that fail on running past the end, with u64 as Number (exact below 2^53). */
class Reader {
  constructor(private readonly buffer: Buffer, private offset: number, private readonly end: number) {}

  get remaining(): number { return this.end - this.offset; }

  private need(size: number): void {
    if (this.offset + size > this.end) throw new Truncated(`needs ${size} more bytes at ${this.offset}`);
  }

  u16(): number { this.need(2); const v = this.buffer.readUInt16LE(this.offset); this.offset += 2; return v; }
  u32(): number { this.need(4); const v = this.buffer.readUInt32LE(this.offset); this.offset += 4; return v; }
  u64(): number {
    this.need(8);
    const low = this.buffer.readUInt32LE(this.offset);
    const high = this.buffer.readUInt32LE(this.offset + 4);
    this.offset += 8;
    return high * 0x100000000 + low;
  }
  i64(): number { this.need(8); const v = Number(this.buffer.readBigInt64LE(this.offset)); this.offset += 8; return v; }
  skip(size: number): void { this.need(size); this.offset += size; }

  /** A NUL-terminated name (UTF-8). */
  cstring(): string {
    const nul = this.buffer.indexOf(0, this.offset);
    if (nul < 0 || nul >= this.end) throw new Truncated('name without its terminating NUL');
    const text = this.buffer.toString('utf8', this.offset, nul);
    this.offset = nul + 1;
    return text;
  }

  /** A copy of `size` bytes (the read buffer is reused for the next request). */
  bytes(size: number): Buffer {
    this.need(size);
    const copy = Buffer.from(this.buffer.subarray(this.offset, this.offset + size));
    this.offset += size;
    return copy;
  }
}

const nsToMs = (seconds: number, nsec: number): number => seconds * 1000 + Math.floor(nsec / 1e6);

/** Decoders of each opcode's body, keyed by opcode. */
const BODIES: Record<number, (r: Reader, header: RequestHeader) => Request> = {
  [abi.FUSE_LOOKUP]: (r, header) => ({ op: 'LOOKUP', header, name: r.cstring() }),
  [abi.FUSE_FORGET]: (r, header) => ({ op: 'FORGET', header, nlookup: r.u64() }),
  [abi.FUSE_BATCH_FORGET]: (r, header) => {
    const count = r.u32();
    r.skip(4);
    if (count * 16 > r.remaining) throw new Truncated(`BATCH_FORGET of ${count} entries in ${r.remaining} bytes`);
    const forgets: ForgetOne[] = [];
    for (let i = 0; i < count; i += 1) forgets.push({ nodeid: r.u64(), nlookup: r.u64() });
    return { op: 'BATCH_FORGET', header, forgets };
  },
  [abi.FUSE_GETATTR]: (r, header) => {
    const getattrFlags = r.u32();
    r.skip(4);
    return { op: 'GETATTR', header, getattrFlags, fh: r.u64() };
  },
  [abi.FUSE_SETATTR]: (r, header) => {
    const valid = r.u32();
    r.skip(4);
    const fh = r.u64();
    const size = r.u64();
    r.skip(8); // lock_owner
    const atime = r.u64();
    const mtime = r.u64();
    const ctime = r.u64();
    const atimensec = r.u32();
    const mtimensec = r.u32();
    const ctimensec = r.u32();
    const mode = r.u32();
    r.skip(4);
    const uid = r.u32();
    const gid = r.u32();
    r.skip(4);
    return {
      op: 'SETATTR', header, valid, fh, size, mode, uid, gid,
      atimeMs: nsToMs(atime, atimensec), mtimeMs: nsToMs(mtime, mtimensec), ctimeMs: nsToMs(ctime, ctimensec),
    };
  },
  [abi.FUSE_READLINK]: (_r, header) => ({ op: 'READLINK', header }),
  [abi.FUSE_SYMLINK]: (r, header) => ({ op: 'SYMLINK', header, name: r.cstring(), target: r.cstring() }),
  [abi.FUSE_MKNOD]: (r, header) => {
    const mode = r.u32();
    const rdev = r.u32();
    const umask = r.u32();
    r.skip(4);
    return { op: 'MKNOD', header, mode, rdev, umask, name: r.cstring() };
  },
  [abi.FUSE_MKDIR]: (r, header) => {
    const mode = r.u32();
    const umask = r.u32();
    return { op: 'MKDIR', header, mode, umask, name: r.cstring() };
  },
  [abi.FUSE_UNLINK]: (r, header) => ({ op: 'UNLINK', header, name: r.cstring() }),
  [abi.FUSE_RMDIR]: (r, header) => ({ op: 'RMDIR', header, name: r.cstring() }),
  [abi.FUSE_RENAME]: (r, header) => {
    const newdir = r.u64();
    return { op: 'RENAME', header, newdir, flags: 0, name: r.cstring(), newname: r.cstring() };
  },
  [abi.FUSE_RENAME2]: (r, header) => {
    const newdir = r.u64();
    const flags = r.u32();
    r.skip(4);
    return { op: 'RENAME', header, newdir, flags, name: r.cstring(), newname: r.cstring() };
  },
  [abi.FUSE_LINK]: (r, header) => {
    const oldnodeid = r.u64();
    return { op: 'LINK', header, oldnodeid, name: r.cstring() };
  },
  [abi.FUSE_OPEN]: (r, header) => ({ op: 'OPEN', header, flags: r.u32(), openFlags: r.u32() }),
  [abi.FUSE_OPENDIR]: (r, header) => ({ op: 'OPENDIR', header, flags: r.u32(), openFlags: r.u32() }),
  [abi.FUSE_CREATE]: (r, header) => {
    const flags = r.u32();
    const mode = r.u32();
    const umask = r.u32();
    const openFlags = r.u32();
    return { op: 'CREATE', header, flags, mode, umask, openFlags, name: r.cstring() };
  },
  [abi.FUSE_READ]: (r, header) => readIn('READ', r, header),
  [abi.FUSE_READDIR]: (r, header) => readIn('READDIR', r, header),
  [abi.FUSE_READDIRPLUS]: (r, header) => readIn('READDIRPLUS', r, header),
  [abi.FUSE_WRITE]: (r, header) => {
    const fh = r.u64();
    const offset = r.u64();
    const size = r.u32();
    r.skip(4); // write_flags
    r.skip(8); // lock_owner
    const flags = r.u32();
    r.skip(4);
    if (size > r.remaining) throw new Truncated(`WRITE of ${size} bytes carries ${r.remaining}`);
    return { op: 'WRITE', header, fh, offset, size, flags, data: r.bytes(size) };
  },
  [abi.FUSE_STATFS]: (_r, header) => ({ op: 'STATFS', header }),
  [abi.FUSE_DESTROY]: (_r, header) => ({ op: 'DESTROY', header }),
  [abi.FUSE_SYNCFS]: (_r, header) => ({ op: 'SYNCFS', header }),
  [abi.FUSE_RELEASE]: (r, header) => releaseIn('RELEASE', r, header),
  [abi.FUSE_RELEASEDIR]: (r, header) => releaseIn('RELEASEDIR', r, header),
  [abi.FUSE_FLUSH]: (r, header) => {
    const fh = r.u64();
    r.skip(16);
    return { op: 'FLUSH', header, fh };
  },
  [abi.FUSE_FSYNC]: (r, header) => fsyncIn('FSYNC', r, header),
  [abi.FUSE_FSYNCDIR]: (r, header) => fsyncIn('FSYNCDIR', r, header),
  // fuse_setxattr_in is 8 bytes (FUSE_COMPAT_SETXATTR_IN_SIZE) as long as FUSE_SETXATTR_EXT is not negotiated.
  [abi.FUSE_SETXATTR]: (r, header) => {
    const size = r.u32();
    const flags = r.u32();
    const name = r.cstring();
    return { op: 'SETXATTR', header, size, flags, name, value: r.bytes(size) };
  },
  [abi.FUSE_GETXATTR]: (r, header) => {
    const size = r.u32();
    r.skip(4);
    return { op: 'GETXATTR', header, size, name: r.cstring() };
  },
  [abi.FUSE_LISTXATTR]: (r, header) => {
    const size = r.u32();
    r.skip(4);
    return { op: 'LISTXATTR', header, size };
  },
  [abi.FUSE_REMOVEXATTR]: (r, header) => ({ op: 'REMOVEXATTR', header, name: r.cstring() }),
  [abi.FUSE_ACCESS]: (r, header) => {
    const mask = r.u32();
    r.skip(4);
    return { op: 'ACCESS', header, mask };
  },
  [abi.FUSE_INIT]: (r, header) => {
    const major = r.u32();
    const minor = r.u32();
    const maxReadahead = r.u32();
    const flags = r.u32();
    // flags2 exists from 7.36 on, and means something only with FUSE_INIT_EXT.
    const flags2 = r.remaining >= 4 && (flags & abi.FUSE_INIT_EXT) !== 0 ? r.u32() : 0;
    return { op: 'INIT', header, major, minor, maxReadahead, flags, flags2 };
  },
  [abi.FUSE_INTERRUPT]: (r, header) => ({ op: 'INTERRUPT', header, interrupted: r.u64() }),
  [abi.FUSE_IOCTL]: (r, header) => {
    const fh = r.u64();
    const flags = r.u32();
    const cmd = r.u32();
    r.skip(8); // arg
    const inSize = r.u32();
    const outSize = r.u32();
    return { op: 'IOCTL', header, fh, flags, cmd, inSize, outSize };
  },
  [abi.FUSE_POLL]: (r, header) => ({ op: 'POLL', header, fh: r.u64(), kh: r.u64(), flags: r.u32(), events: r.u32() }),
  [abi.FUSE_FALLOCATE]: (r, header) => {
    const fh = r.u64();
    const offset = r.u64();
    const length = r.u64();
    const mode = r.u32();
    r.skip(4);
    return { op: 'FALLOCATE', header, fh, offset, length, mode };
  },
  [abi.FUSE_LSEEK]: (r, header) => {
    const fh = r.u64();
    const offset = r.i64();
    const whence = r.u32();
    r.skip(4);
    return { op: 'LSEEK', header, fh, offset, whence };
  },
};

function readIn<Op extends 'READ' | 'READDIR' | 'READDIRPLUS'>(op: Op, r: Reader, header: RequestHeader): Request {
  const fh = r.u64();
  const offset = r.u64();
  const size = r.u32();
  r.skip(4); // read_flags
  r.skip(8); // lock_owner
  const flags = r.u32();
  r.skip(4);
  return { op, header, fh, offset, size, flags } as Request;
}

function releaseIn(op: 'RELEASE' | 'RELEASEDIR', r: Reader, header: RequestHeader): Request {
  const fh = r.u64();
  const flags = r.u32();
  const releaseFlags = r.u32();
  r.skip(8);
  return { op, header, fh, flags, releaseFlags };
}

function fsyncIn(op: 'FSYNC' | 'FSYNCDIR', r: Reader, header: RequestHeader): Request {
  const fh = r.u64();
  const fsyncFlags = r.u32();
  r.skip(4);
  return { op, header, fh, fsyncFlags };
}

/**
 * Decode one request as read from /dev/fuse. Never throws: a truncated or
 * inconsistent buffer becomes a MalformedRequest.
 */
export function decodeRequest(buffer: Buffer): Request | MalformedRequest {
  const unique = buffer.length >= 16 ? new Reader(buffer, 8, 16).u64() : undefined;
  const opcode = buffer.length >= 8 ? buffer.readUInt32LE(4) : undefined;
  const malformed = (errno: 'EIO' | 'EINVAL', reason: string): MalformedRequest =>
    ({ op: 'MALFORMED', unique, opcode, errno, reason });
  if (buffer.length < abi.FUSE_IN_HEADER_SIZE) return malformed('EIO', `request of ${buffer.length} bytes is shorter than its header`);
  const r = new Reader(buffer, 0, buffer.length);
  const len = r.u32();
  r.skip(12); // opcode, unique
  const header: RequestHeader = { len, opcode: opcode as number, unique: unique as number, nodeid: r.u64(), uid: r.u32(), gid: r.u32(), pid: r.u32() };
  const totalExtlen = r.u16();
  if (len !== buffer.length) return malformed('EIO', `header says ${len} bytes, ${buffer.length} were read`);
  const decodeBody = BODIES[header.opcode];
  if (decodeBody === undefined) return { op: 'UNKNOWN', header };
  // Extensions (security context, supplementary groups) follow the body; none is negotiated.
  const end = len - totalExtlen * 8;
  if (end < abi.FUSE_IN_HEADER_SIZE) return malformed('EIO', `extensions of ${totalExtlen * 8} bytes exceed the request`);
  try {
    return decodeBody(new Reader(buffer, abi.FUSE_IN_HEADER_SIZE, end), header);
  } catch (err) {
    if (err instanceof Truncated) return malformed('EINVAL', `opcode ${header.opcode}: ${err.message}`);
    throw err;
  }
}
