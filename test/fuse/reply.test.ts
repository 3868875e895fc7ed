import t from 'tap';
import * as abi from '../../lib/fuse/kernel-abi.js';
import { encodeNotifyDelete, encodeNotifyInvalEntry, encodeNotifyInvalInode, encodeNotifyPoll } from '../../lib/fuse/notification.js';
import {
  encodeAttrOut, encodeDirents, encodeEntryOut, encodeError, encodeInitOut, encodeOpenOut, encodeOutHeader,
  encodePollOut, encodeStatfsOut, encodeWriteOut, type Attr,
} from '../../lib/fuse/reply.js';

const ATTR: Attr = { ino: 42, size: 4096, mode: 0o100644, nlink: 1, uid: 1000, gid: 100, atimeMs: 1500, mtimeMs: 2250, ctimeMs: 3000 };
const VALIDITY = { entryMs: 1500, attrMs: 1000 };

/** struct fuse_attr at `at`, read back field by field. */
function readAttr(buffer: Buffer, at: number) {
  return {
    ino: Number(buffer.readBigUInt64LE(at)), size: Number(buffer.readBigUInt64LE(at + 8)), blocks: Number(buffer.readBigUInt64LE(at + 16)),
    atime: Number(buffer.readBigUInt64LE(at + 24)), mtime: Number(buffer.readBigUInt64LE(at + 32)), ctime: Number(buffer.readBigUInt64LE(at + 40)),
    atimensec: buffer.readUInt32LE(at + 48), mtimensec: buffer.readUInt32LE(at + 52), ctimensec: buffer.readUInt32LE(at + 56),
    mode: buffer.readUInt32LE(at + 60), nlink: buffer.readUInt32LE(at + 64), uid: buffer.readUInt32LE(at + 68), gid: buffer.readUInt32LE(at + 72),
    rdev: buffer.readUInt32LE(at + 76), blksize: buffer.readUInt32LE(at + 80), flags: buffer.readUInt32LE(at + 84),
  };
}

const EXPECTED_ATTR = {
  ino: 42, size: 4096, blocks: 8, atime: 1, mtime: 2, ctime: 3, atimensec: 5e8, mtimensec: 2.5e8, ctimensec: 0,
  mode: 0o100644, nlink: 1, uid: 1000, gid: 100, rdev: 0, blksize: 4096, flags: 0,
};

t.test('fuse_out_header and error replies', async (t) => {
  const header = encodeOutHeader(2 ** 33 + 4, 0, 8);
  t.equal(header.length, 16);
  t.equal(header.readUInt32LE(0), 24, 'len counts the header');
  t.equal(header.readInt32LE(4), 0);
  t.equal(Number(header.readBigUInt64LE(8)), 2 ** 33 + 4);
  const error = encodeError(6, 2);
  t.same([error.length, error.readUInt32LE(0), error.readInt32LE(4), Number(error.readBigUInt64LE(8))], [16, 16, -2, 6]);
  t.equal(encodeError(6, -13).readInt32LE(4), -13, 'a negative errno is taken as is');
});

t.test('fuse_entry_out and fuse_attr_out', async (t) => {
  const entry = encodeEntryOut({ nodeid: 9, generation: 3, attr: ATTR }, VALIDITY);
  t.equal(entry.length, abi.FUSE_ENTRY_OUT_SIZE);
  t.same([Number(entry.readBigUInt64LE(0)), Number(entry.readBigUInt64LE(8))], [9, 3], 'nodeid, generation');
  t.same([Number(entry.readBigUInt64LE(16)), Number(entry.readBigUInt64LE(24))], [1, 1], 'entry_valid, attr_valid seconds');
  t.same([entry.readUInt32LE(32), entry.readUInt32LE(36)], [5e8, 0], 'entry_valid_nsec, attr_valid_nsec');
  t.same(readAttr(entry, 40), EXPECTED_ATTR);
  const negative = encodeEntryOut({ nodeid: 0, generation: 0, attr: ATTR }, VALIDITY);
  t.equal(Number(negative.readBigUInt64LE(16)), 0, 'no validity for a node id 0 entry');
  const attr = encodeAttrOut(ATTR, VALIDITY);
  t.equal(attr.length, abi.FUSE_ATTR_OUT_SIZE);
  t.same([Number(attr.readBigUInt64LE(0)), attr.readUInt32LE(8), attr.readUInt32LE(12)], [1, 0, 0]);
  t.same(readAttr(attr, 16), EXPECTED_ATTR);
});

t.test('open, write, poll, statfs and init replies', async (t) => {
  const open = encodeOpenOut(17, abi.FOPEN_DIRECT_IO);
  t.same([open.length, Number(open.readBigUInt64LE(0)), open.readUInt32LE(8)], [16, 17, 1]);
  const write = encodeWriteOut(5);
  t.same([write.length, write.readUInt32LE(0)], [8, 5]);
  const poll = encodePollOut(abi.POLLPRI | abi.POLLERR);
  t.same([poll.length, poll.readUInt32LE(0)], [8, 0xa]);
  const statfs = encodeStatfsOut({ blocks: 1, bfree: 2, bavail: 3, files: 4, ffree: 5, bsize: 4096, namelen: 255, frsize: 512 });
  t.equal(statfs.length, abi.FUSE_STATFS_OUT_SIZE);
  t.same([0, 8, 16, 24, 32].map((at) => Number(statfs.readBigUInt64LE(at))), [1, 2, 3, 4, 5]);
  t.same([statfs.readUInt32LE(40), statfs.readUInt32LE(44), statfs.readUInt32LE(48)], [4096, 255, 512]);
  const init = { major: 7, minor: 38, maxReadahead: 131072, flags: abi.FUSE_ASYNC_READ | abi.FUSE_MAX_PAGES, maxBackground: 64, congestionThreshold: 48, maxWrite: 131072, timeGran: 1, maxPages: 32 };
  const out = encodeInitOut(init);
  t.equal(out.length, abi.FUSE_INIT_OUT_SIZE);
  t.same(
    [out.readUInt32LE(0), out.readUInt32LE(4), out.readUInt32LE(8), out.readUInt32LE(12), out.readUInt16LE(16), out.readUInt16LE(18), out.readUInt32LE(20), out.readUInt32LE(24), out.readUInt16LE(28)],
    [7, 38, 131072, abi.FUSE_ASYNC_READ | abi.FUSE_MAX_PAGES, 64, 48, 131072, 1, 32],
  );
  t.equal(encodeInitOut({ ...init, minor: 22 }).length, abi.FUSE_COMPAT_22_INIT_OUT_SIZE, 'older kernels get the short form');
});

t.test('directory records: fuse_dirent and fuse_direntplus, 8-byte aligned, cut at the size asked for', async (t) => {
  const entries = [
    { name: '.', ino: 1, type: 4, nextOffset: 1 },
    { name: 'gpio-agg.0', ino: 5, type: 4, nextOffset: 2, entry: { nodeid: 5, generation: 0, attr: { ...ATTR, ino: 5, mode: 0o40755 } } },
  ];
  const { buffer, count } = encodeDirents(entries, 4096, false);
  t.equal(count, 2);
  t.equal(buffer.length, 24 + 8 + 24 + 16, '"." pads to 32 bytes, "gpio-agg.0" to 40');
  t.same([Number(buffer.readBigUInt64LE(0)), Number(buffer.readBigUInt64LE(8)), buffer.readUInt32LE(16), buffer.readUInt32LE(20)], [1, 1, 1, 4]);
  t.equal(buffer.toString('utf8', 24, 25), '.');
  t.same([Number(buffer.readBigUInt64LE(32)), Number(buffer.readBigUInt64LE(40)), buffer.readUInt32LE(48)], [5, 2, 10]);
  t.equal(buffer.toString('utf8', 56, 66), 'gpio-agg.0');
  t.equal(encodeDirents(entries, 40, false).count, 1, 'only what fits');
  const plus = encodeDirents(entries, 4096, true, VALIDITY);
  t.equal(plus.buffer.length, 152 + 8 + 152 + 16);
  t.equal(Number(plus.buffer.readBigUInt64LE(0)), 0, '"." carries no entry (node id 0)');
  const second = 160;
  t.equal(Number(plus.buffer.readBigUInt64LE(second)), 5, 'nodeid');
  t.equal(readAttr(plus.buffer, second + 40).mode, 0o40755);
  t.same([Number(plus.buffer.readBigUInt64LE(second + 128)), plus.buffer.readUInt32LE(second + 144)], [5, 10], 'dirent ino, namelen');
  t.equal(plus.buffer.toString('utf8', second + 152, second + 162), 'gpio-agg.0');
  t.equal(encodeDirents(entries, 200, true, VALIDITY).count, 1);
});

t.test('notifications: unique 0, the code in the error field', async (t) => {
  const poll = encodeNotifyPoll(99);
  t.same([poll.length, poll.readInt32LE(4), Number(poll.readBigUInt64LE(8)), Number(poll.readBigUInt64LE(16))], [24, abi.FUSE_NOTIFY_POLL, 0, 99]);
  const inode = encodeNotifyInvalInode(7, -1, 0);
  t.same([inode.length, inode.readInt32LE(4), Number(inode.readBigUInt64LE(16)), Number(inode.readBigInt64LE(24)), Number(inode.readBigInt64LE(32))], [40, abi.FUSE_NOTIFY_INVAL_INODE, 7, -1, 0]);
  const entry = encodeNotifyInvalEntry(1, 'gpio-agg.0');
  t.same([entry.length, entry.readInt32LE(4), Number(entry.readBigUInt64LE(16)), entry.readUInt32LE(24), entry.readUInt32LE(28)], [16 + 16 + 11, abi.FUSE_NOTIFY_INVAL_ENTRY, 1, 10, 0]);
  t.equal(entry.toString('utf8', 32), 'gpio-agg.0\0', 'the name is NUL-terminated');
  const del = encodeNotifyDelete(1, 12, 'gpio-agg.0');
  t.same([del.length, del.readInt32LE(4), Number(del.readBigUInt64LE(16)), Number(del.readBigUInt64LE(24)), del.readUInt32LE(32)], [16 + 24 + 11, abi.FUSE_NOTIFY_DELETE, 1, 12, 10]);
  t.equal(del.toString('utf8', 40), 'gpio-agg.0\0');
});
