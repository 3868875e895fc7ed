import * as abi from './kernel-abi.js';
import { encodeOutHeader } from './reply.js';

/**
 * Notifications the filesystem sends unasked: a fuse_out_header with
 * unique 0 and the notify code in `error`, then the code's structure.
 */
function notification(code: number, body: Buffer): Buffer {
  return Buffer.concat([encodeOutHeader(0, code, body.length), body]);
}

function u64(buffer: Buffer, offset: number, value: number): void {
  buffer.writeBigUInt64LE(BigInt(value), offset);
}

/** FUSE_NOTIFY_POLL: wake whoever polls the file with poll handle `kh`. */
export function encodeNotifyPoll(kh: number): Buffer {
  const body = Buffer.alloc(abi.FUSE_NOTIFY_POLL_WAKEUP_OUT_SIZE);
  u64(body, 0, kh);
  return notification(abi.FUSE_NOTIFY_POLL, body);
}

/** FUSE_NOTIFY_INVAL_INODE: drop cached attributes (and, for off ≥ 0, data from `off` for `len` bytes, 0 = to the end). */
export function encodeNotifyInvalInode(ino: number, off: number, len: number): Buffer {
  const body = Buffer.alloc(abi.FUSE_NOTIFY_INVAL_INODE_OUT_SIZE);
  u64(body, 0, ino);
  body.writeBigInt64LE(BigInt(off), 8);
  body.writeBigInt64LE(BigInt(len), 16);
  return notification(abi.FUSE_NOTIFY_INVAL_INODE, body);
}

/** FUSE_NOTIFY_INVAL_ENTRY: drop the cached name `name` in directory `parent`. */
export function encodeNotifyInvalEntry(parent: number, name: string, flags = 0): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const body = Buffer.alloc(abi.FUSE_NOTIFY_INVAL_ENTRY_OUT_SIZE + nameBytes.length + 1);
  u64(body, 0, parent);
  body.writeUInt32LE(nameBytes.length, 8);
  body.writeUInt32LE(flags, 12);
  nameBytes.copy(body, abi.FUSE_NOTIFY_INVAL_ENTRY_OUT_SIZE);
  return notification(abi.FUSE_NOTIFY_INVAL_ENTRY, body);
}

/** FUSE_NOTIFY_DELETE: `name` in `parent`, which was `child`, is gone (like an unlink seen by the kernel). */
export function encodeNotifyDelete(parent: number, child: number, name: string): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const body = Buffer.alloc(abi.FUSE_NOTIFY_DELETE_OUT_SIZE + nameBytes.length + 1);
  u64(body, 0, parent);
  u64(body, 8, child);
  body.writeUInt32LE(nameBytes.length, 16);
  nameBytes.copy(body, abi.FUSE_NOTIFY_DELETE_OUT_SIZE);
  return notification(abi.FUSE_NOTIFY_DELETE, body);
}
