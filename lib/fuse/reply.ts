import * as abi from './kernel-abi.js';

/** What struct fuse_attr carries, with times in milliseconds since the epoch. */
export interface Attr {
  readonly ino: number;
  readonly size: number;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev?: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/** Cache lifetimes in milliseconds. */
export interface Validity {
  readonly entryMs: number;
  readonly attrMs: number;
}

export interface Entry {
  readonly nodeid: number;
  readonly generation: number;
  readonly attr: Attr;
}

export interface DirectoryEntry {
  readonly name: string;
  readonly ino: number;
  /** DT_* type: (mode & S_IFMT) >> 12. */
  readonly type: number;
  /** The offset of the entry after this one (what the next READDIR asks for). */
  readonly nextOffset: number;
  /** For READDIRPLUS: the entry's lookup answer, or undefined for "." and "..". */
  readonly entry?: Entry | undefined;
}

export interface InitOut {
  readonly major: number;
  readonly minor: number;
  readonly maxReadahead: number;
  readonly flags: number;
  readonly maxBackground: number;
  readonly congestionThreshold: number;
  readonly maxWrite: number;
  readonly timeGran: number;
  readonly maxPages: number;
}

export interface StatfsOut {
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
  readonly bsize: number;
  readonly namelen: number;
  readonly frsize: number;
}

function writeU64(buffer: Buffer, offset: number, value: number): void {
  buffer.writeUInt32LE(value % 0x100000000 >>> 0, offset);
  buffer.writeUInt32LE(Math.floor(value / 0x100000000) >>> 0, offset + 4);
}

function writeI64(buffer: Buffer, offset: number, value: number): void {
  buffer.writeBigInt64LE(BigInt(value), offset);
}

/** Seconds and nanoseconds of a millisecond time (negative times clamp to the epoch). */
function writeTime(buffer: Buffer, secondsAt: number, nsecAt: number, ms: number): void {
  const clamped = Math.max(0, ms);
  const seconds = Math.floor(clamped / 1000);
  writeU64(buffer, secondsAt, seconds);
  buffer.writeUInt32LE(Math.round((clamped - seconds * 1000) * 1e6), nsecAt);
}

/** struct fuse_attr at `offset`. */
function writeAttr(buffer: Buffer, offset: number, attr: Attr): void {
  writeU64(buffer, offset, attr.ino);
  writeU64(buffer, offset + 8, attr.size);
  writeU64(buffer, offset + 16, Math.ceil(attr.size / 512)); // blocks
  writeTime(buffer, offset + 24, offset + 48, attr.atimeMs);
  writeTime(buffer, offset + 32, offset + 52, attr.mtimeMs);
  writeTime(buffer, offset + 40, offset + 56, attr.ctimeMs);
  buffer.writeUInt32LE(attr.mode >>> 0, offset + 60);
  buffer.writeUInt32LE(attr.nlink >>> 0, offset + 64);
  buffer.writeUInt32LE(attr.uid >>> 0, offset + 68);
  buffer.writeUInt32LE(attr.gid >>> 0, offset + 72);
  buffer.writeUInt32LE((attr.rdev ?? 0) >>> 0, offset + 76);
  buffer.writeUInt32LE(4096, offset + 80); // blksize
  buffer.writeUInt32LE(0, offset + 84); // flags
}

function writeValidity(buffer: Buffer, secondsAt: number, nsecAt: number, ms: number): void {
  writeU64(buffer, secondsAt, Math.floor(ms / 1000));
  buffer.writeUInt32LE((ms % 1000) * 1e6, nsecAt);
}

/** struct fuse_entry_out at `offset`. */
function writeEntry(buffer: Buffer, offset: number, entry: Entry, validity: Validity): void {
  writeU64(buffer, offset, entry.nodeid);
  writeU64(buffer, offset + 8, entry.generation);
  writeValidity(buffer, offset + 16, offset + 32, entry.nodeid === 0 ? 0 : validity.entryMs);
  writeValidity(buffer, offset + 24, offset + 36, entry.nodeid === 0 ? 0 : validity.attrMs);
  writeAttr(buffer, offset + 40, entry.attr);
}

/** struct fuse_out_header: the reply to `unique`, `error` a negative errno or 0. */
export function encodeOutHeader(unique: number, error: number, payloadLength: number): Buffer {
  const header = Buffer.alloc(abi.FUSE_OUT_HEADER_SIZE);
  header.writeUInt32LE(abi.FUSE_OUT_HEADER_SIZE + payloadLength, 0);
  header.writeInt32LE(error, 4);
  writeU64(header, 8, unique);
  return header;
}

/** An error reply: the header alone, error = -errno. */
export function encodeError(unique: number, errno: number): Buffer {
  return encodeOutHeader(unique, -Math.abs(errno), 0);
}

export function encodeEntryOut(entry: Entry, validity: Validity): Buffer {
  const buffer = Buffer.alloc(abi.FUSE_ENTRY_OUT_SIZE);
  writeEntry(buffer, 0, entry, validity);
  return buffer;
}

export function encodeAttrOut(attr: Attr, validity: Validity): Buffer {
  const buffer = Buffer.alloc(abi.FUSE_ATTR_OUT_SIZE);
  writeValidity(buffer, 0, 8, validity.attrMs);
  writeAttr(buffer, 16, attr);
  return buffer;
}

export function encodeOpenOut(fh: number, openFlags: number): Buffer {
  const buffer = Buffer.alloc(abi.FUSE_OPEN_OUT_SIZE);
  writeU64(buffer, 0, fh);
  buffer.writeUInt32LE(openFlags >>> 0, 8);
  return buffer;
}

/** CREATE's reply: fuse_entry_out followed by fuse_open_out. */
export function encodeCreateOut(entry: Entry, validity: Validity, fh: number, openFlags: number): Buffer {
  return Buffer.concat([encodeEntryOut(entry, validity), encodeOpenOut(fh, openFlags)]);
}

export function encodeWriteOut(size: number): Buffer {
  const buffer = Buffer.alloc(abi.FUSE_WRITE_OUT_SIZE);
  buffer.writeUInt32LE(size >>> 0, 0);
  return buffer;
}

export function encodeStatfsOut(statfs: StatfsOut): Buffer {
  const buffer = Buffer.alloc(abi.FUSE_STATFS_OUT_SIZE);
  writeU64(buffer, 0, statfs.blocks);
  writeU64(buffer, 8, statfs.bfree);
  writeU64(buffer, 16, statfs.bavail);
  writeU64(buffer, 24, statfs.files);
  writeU64(buffer, 32, statfs.ffree);
  buffer.writeUInt32LE(statfs.bsize, 40);
  buffer.writeUInt32LE(statfs.namelen, 44);
  buffer.writeUInt32LE(statfs.frsize, 48);
  return buffer;
}

export function encodePollOut(revents: number): Buffer {
  const buffer = Buffer.alloc(abi.FUSE_POLL_OUT_SIZE);
  buffer.writeUInt32LE(revents >>> 0, 0);
  return buffer;
}

export function encodeLseekOut(offset: number): Buffer {
  const buffer = Buffer.alloc(abi.FUSE_LSEEK_OUT_SIZE);
  writeI64(buffer, 0, offset);
  return buffer;
}

export function encodeGetxattrOut(size: number): Buffer {
  const buffer = Buffer.alloc(abi.FUSE_GETXATTR_OUT_SIZE);
  buffer.writeUInt32LE(size >>> 0, 0);
  return buffer;
}

/**
 * fuse_init_out, cut to the size the kernel's minor version expects:
 * 24 bytes before 7.23 (FUSE_COMPAT_22_INIT_OUT_SIZE), the whole structure after.
 */
export function encodeInitOut(init: InitOut): Buffer {
  const buffer = Buffer.alloc(abi.FUSE_INIT_OUT_SIZE);
  buffer.writeUInt32LE(init.major, 0);
  buffer.writeUInt32LE(init.minor, 4);
  buffer.writeUInt32LE(init.maxReadahead >>> 0, 8);
  buffer.writeUInt32LE(init.flags >>> 0, 12);
  buffer.writeUInt16LE(init.maxBackground, 16);
  buffer.writeUInt16LE(init.congestionThreshold, 18);
  buffer.writeUInt32LE(init.maxWrite, 20);
  buffer.writeUInt32LE(init.timeGran, 24);
  buffer.writeUInt16LE(init.maxPages, 28);
  return init.minor < 23 ? buffer.subarray(0, abi.FUSE_COMPAT_22_INIT_OUT_SIZE) : buffer;
}

/**
 * As many fuse_dirent (or, with `plus`, fuse_direntplus) records as fit in
 * `maxSize` bytes, each padded to 8 bytes (FUSE_DIRENT_ALIGN). Returns the
 * buffer and how many entries it holds.
 */
export function encodeDirents(entries: readonly DirectoryEntry[], maxSize: number, plus: false): { buffer: Buffer; count: number };
export function encodeDirents(entries: readonly DirectoryEntry[], maxSize: number, plus: true, validity: Validity): { buffer: Buffer; count: number };
export function encodeDirents(entries: readonly DirectoryEntry[], maxSize: number, plus: boolean, validity?: Validity): { buffer: Buffer; count: number } {
  const recordOffset = plus ? abi.FUSE_ENTRY_OUT_SIZE : 0;
  const nameOffset = plus ? abi.FUSE_DIRENTPLUS_SIZE : abi.FUSE_DIRENT_SIZE;
  const names = entries.map((e) => Buffer.from(e.name, 'utf8'));
  let total = 0;
  let count = 0;
  for (const name of names) {
    const size = abi.fuseRecAlign(nameOffset + name.length);
    if (total + size > maxSize) break;
    total += size;
    count += 1;
  }
  const buffer = Buffer.alloc(total);
  let at = 0;
  for (let i = 0; i < count; i += 1) {
    const e = entries[i] as DirectoryEntry;
    const name = names[i] as Buffer;
    if (plus) {
      const entry = e.entry ?? { nodeid: 0, generation: 0, attr: { ino: 0, size: 0, mode: 0, nlink: 0, uid: 0, gid: 0, atimeMs: 0, mtimeMs: 0, ctimeMs: 0 } };
      writeEntry(buffer, at, entry, validity as Validity);
    }
    writeU64(buffer, at + recordOffset, e.ino);
    writeU64(buffer, at + recordOffset + 8, e.nextOffset);
    buffer.writeUInt32LE(name.length, at + recordOffset + 16);
    buffer.writeUInt32LE(e.type, at + recordOffset + 20);
    name.copy(buffer, at + nameOffset);
    at += abi.fuseRecAlign(nameOffset + name.length);
  }
  return { buffer, count };
}
