import t, { type Test } from 'tap';
import * as abi from '../../lib/fuse/kernel-abi.js';
import { decodeRequest, type Request } from '../../lib/fuse/request.js';

/** A request as the kernel writes it: struct fuse_in_header, then the body. */
export function request(opcode: number, body: Buffer, fields: { unique?: number; nodeid?: number; uid?: number; gid?: number; pid?: number } = {}): Buffer {
  const header = Buffer.alloc(abi.FUSE_IN_HEADER_SIZE);
  header.writeUInt32LE(abi.FUSE_IN_HEADER_SIZE + body.length, 0); // len
  header.writeUInt32LE(opcode, 4); // opcode
  header.writeBigUInt64LE(BigInt(fields.unique ?? 2), 8); // unique
  header.writeBigUInt64LE(BigInt(fields.nodeid ?? 1), 16); // nodeid
  header.writeUInt32LE(fields.uid ?? 0, 24); // uid
  header.writeUInt32LE(fields.gid ?? 0, 28); // gid
  header.writeUInt32LE(fields.pid ?? 0, 32); // pid
  return Buffer.concat([header, body]);
}

function u32s(...values: number[]): Buffer {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buffer.writeUInt32LE(v, i * 4));
  return buffer;
}

function u64s(...values: number[]): Buffer {
  const buffer = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => buffer.writeBigUInt64LE(BigInt(v), i * 8));
  return buffer;
}

const cstr = (text: string): Buffer => Buffer.from(`${text}\0`);

function decoded<Op extends Request['op']>(t: Test, buffer: Buffer, op: Op): Request & { op: Op } {
  const result = decodeRequest(buffer);
  t.equal(result.op, op);
  return result as Request & { op: Op };
}

t.test('the header: len, opcode, unique, nodeid, uid, gid, pid', async (t) => {
  const r = decoded(t, request(abi.FUSE_GETATTR, Buffer.alloc(16), { unique: 2 ** 40 + 6, nodeid: 77, uid: 1000, gid: 100, pid: 4242 }), 'GETATTR');
  t.same(r.header, { len: 56, opcode: abi.FUSE_GETATTR, unique: 2 ** 40 + 6, nodeid: 77, uid: 1000, gid: 100, pid: 4242 });
});

t.test('name-carrying requests', async (t) => {
  t.equal(decoded(t, request(abi.FUSE_LOOKUP, cstr('gpio-agg.0')), 'LOOKUP').name, 'gpio-agg.0');
  t.equal(decoded(t, request(abi.FUSE_LOOKUP, cstr('LED→')), 'LOOKUP').name, 'LED→', 'UTF-8');
  t.equal(decoded(t, request(abi.FUSE_UNLINK, cstr('x')), 'UNLINK').name, 'x');
  t.equal(decoded(t, request(abi.FUSE_RMDIR, cstr('d')), 'RMDIR').name, 'd');
  const symlink = decoded(t, request(abi.FUSE_SYMLINK, Buffer.concat([cstr('link'), cstr('/target')])), 'SYMLINK');
  t.same([symlink.name, symlink.target], ['link', '/target']);
  // struct fuse_mkdir_in { mode, umask } then the name
  const mkdir = decoded(t, request(abi.FUSE_MKDIR, Buffer.concat([u32s(0o755, 0o022), cstr('new')])), 'MKDIR');
  t.same([mkdir.mode, mkdir.umask, mkdir.name], [0o755, 0o022, 'new']);
  // struct fuse_mknod_in { mode, rdev, umask, padding }
  const mknod = decoded(t, request(abi.FUSE_MKNOD, Buffer.concat([u32s(0o100644, 0, 0o022, 0), cstr('f')])), 'MKNOD');
  t.same([mknod.mode, mknod.name], [0o100644, 'f']);
  // struct fuse_rename_in { newdir } / fuse_rename2_in { newdir, flags, padding }
  const rename = decoded(t, request(abi.FUSE_RENAME, Buffer.concat([u64s(5), cstr('a'), cstr('b')])), 'RENAME');
  t.same([rename.newdir, rename.flags, rename.name, rename.newname], [5, 0, 'a', 'b']);
  const rename2 = decoded(t, request(abi.FUSE_RENAME2, Buffer.concat([u64s(6), u32s(1, 0), cstr('a'), cstr('b')])), 'RENAME');
  t.same([rename2.newdir, rename2.flags, rename2.newname], [6, 1, 'b']);
  // struct fuse_link_in { oldnodeid }
  const link = decoded(t, request(abi.FUSE_LINK, Buffer.concat([u64s(9), cstr('l')])), 'LINK');
  t.same([link.oldnodeid, link.name], [9, 'l']);
  // struct fuse_create_in { flags, mode, umask, open_flags }
  const create = decoded(t, request(abi.FUSE_CREATE, Buffer.concat([u32s(0o101, 0o644, 0o022, 0), cstr('c')])), 'CREATE');
  t.same([create.flags, create.mode, create.name], [0o101, 0o644, 'c']);
});

t.test('forgets', async (t) => {
  t.equal(decoded(t, request(abi.FUSE_FORGET, u64s(3), { nodeid: 12 }), 'FORGET').nlookup, 3);
  // struct fuse_batch_forget_in { count, dummy } then count × fuse_forget_one { nodeid, nlookup }
  const batch = decoded(t, request(abi.FUSE_BATCH_FORGET, Buffer.concat([u32s(2, 0), u64s(10, 1, 11, 4)])), 'BATCH_FORGET');
  t.same(batch.forgets, [{ nodeid: 10, nlookup: 1 }, { nodeid: 11, nlookup: 4 }]);
  const short = decodeRequest(request(abi.FUSE_BATCH_FORGET, Buffer.concat([u32s(3, 0), u64s(10, 1)])));
  t.equal(short.op, 'MALFORMED', 'a count larger than the entries sent');
});

t.test('setattr: fuse_setattr_in field by field', async (t) => {
  const body = Buffer.alloc(88);
  body.writeUInt32LE(abi.FATTR_MODE | abi.FATTR_UID | abi.FATTR_MTIME, 0); // valid
  body.writeBigUInt64LE(7n, 8); // fh
  body.writeBigUInt64LE(4096n, 16); // size
  body.writeBigUInt64LE(1000n, 32); // atime
  body.writeBigUInt64LE(2000n, 40); // mtime
  body.writeBigUInt64LE(3000n, 48); // ctime
  body.writeUInt32LE(5e8, 56); // atimensec
  body.writeUInt32LE(2.5e8, 60); // mtimensec
  body.writeUInt32LE(0, 64); // ctimensec
  body.writeUInt32LE(0o100600, 68); // mode
  body.writeUInt32LE(1001, 76); // uid
  body.writeUInt32LE(1002, 80); // gid
  const r = decoded(t, request(abi.FUSE_SETATTR, body), 'SETATTR');
  t.same(
    { valid: r.valid, fh: r.fh, size: r.size, atimeMs: r.atimeMs, mtimeMs: r.mtimeMs, mode: r.mode, uid: r.uid, gid: r.gid },
    { valid: abi.FATTR_MODE | abi.FATTR_UID | abi.FATTR_MTIME, fh: 7, size: 4096, atimeMs: 1000500, mtimeMs: 2000250, mode: 0o100600, uid: 1001, gid: 1002 },
  );
});

t.test('open, read, write, release, flush, fsync', async (t) => {
  const open = decoded(t, request(abi.FUSE_OPEN, u32s(0o2001, 0)), 'OPEN');
  t.same([open.flags, open.openFlags], [0o2001, 0]);
  t.equal(decoded(t, request(abi.FUSE_OPENDIR, u32s(0o200000, 0)), 'OPENDIR').flags, 0o200000);
  // struct fuse_read_in { fh, offset, size, read_flags, lock_owner, flags, padding }
  const readIn = Buffer.concat([u64s(3, 10), u32s(4096, 0), u64s(0), u32s(0o4000, 0)]);
  const read = decoded(t, request(abi.FUSE_READ, readIn), 'READ');
  t.same([read.fh, read.offset, read.size, read.flags], [3, 10, 4096, 0o4000]);
  t.equal(decoded(t, request(abi.FUSE_READDIRPLUS, readIn), 'READDIRPLUS').size, 4096);
  t.equal(decoded(t, request(abi.FUSE_READDIR, readIn), 'READDIR').fh, 3);
  // struct fuse_write_in then the data
  const write = decoded(t, request(abi.FUSE_WRITE, Buffer.concat([u64s(4, 0), u32s(3, 0), u64s(0), u32s(1, 0), Buffer.from('out')])), 'WRITE');
  t.same([write.fh, write.size, write.data.toString()], [4, 3, 'out']);
  const overlong = decodeRequest(request(abi.FUSE_WRITE, Buffer.concat([u64s(4, 0), u32s(30, 0), u64s(0), u32s(1, 0), Buffer.from('out')])));
  t.match(overlong, { op: 'MALFORMED', errno: 'EINVAL' }, 'size beyond the data sent');
  // struct fuse_release_in { fh, flags, release_flags, lock_owner }
  const release = decoded(t, request(abi.FUSE_RELEASE, Buffer.concat([u64s(4), u32s(1, 0), u64s(0)])), 'RELEASE');
  t.same([release.fh, release.flags], [4, 1]);
  t.equal(decoded(t, request(abi.FUSE_RELEASEDIR, Buffer.concat([u64s(8), u32s(0, 0), u64s(0)])), 'RELEASEDIR').fh, 8);
  t.equal(decoded(t, request(abi.FUSE_FLUSH, Buffer.concat([u64s(4), u32s(0, 0), u64s(99)])), 'FLUSH').fh, 4);
  t.equal(decoded(t, request(abi.FUSE_FSYNC, Buffer.concat([u64s(4), u32s(1, 0)])), 'FSYNC').fsyncFlags, 1);
});

t.test('init, interrupt, poll, fallocate, lseek, ioctl, access, xattrs, statfs', async (t) => {
  // struct fuse_init_in { major, minor, max_readahead, flags, flags2, unused[11] }
  const init = decoded(t, request(abi.FUSE_INIT, Buffer.concat([u32s(7, 38, 131072, abi.FUSE_ASYNC_READ | abi.FUSE_INIT_EXT, 3), Buffer.alloc(44)])), 'INIT');
  t.same([init.major, init.minor, init.maxReadahead, init.flags, init.flags2], [7, 38, 131072, abi.FUSE_ASYNC_READ | abi.FUSE_INIT_EXT, 3]);
  const oldInit = decoded(t, request(abi.FUSE_INIT, u32s(7, 31, 65536, abi.FUSE_ASYNC_READ)), 'INIT');
  t.same([oldInit.minor, oldInit.flags2], [31, 0], 'a 7.31 kernel sends 16 bytes');
  t.equal(decoded(t, request(abi.FUSE_INTERRUPT, u64s(40)), 'INTERRUPT').interrupted, 40);
  // struct fuse_poll_in { fh, kh, flags, events }
  const poll = decoded(t, request(abi.FUSE_POLL, Buffer.concat([u64s(5, 77), u32s(abi.FUSE_POLL_SCHEDULE_NOTIFY, abi.POLLPRI)])), 'POLL');
  t.same([poll.fh, poll.kh, poll.flags, poll.events], [5, 77, 1, abi.POLLPRI]);
  const fallocate = decoded(t, request(abi.FUSE_FALLOCATE, Buffer.concat([u64s(5, 0, 100), u32s(0, 0)])), 'FALLOCATE');
  t.same([fallocate.fh, fallocate.length], [5, 100]);
  const lseek = decoded(t, request(abi.FUSE_LSEEK, Buffer.concat([u64s(5, 12), u32s(3, 0)])), 'LSEEK');
  t.same([lseek.offset, lseek.whence], [12, 3]);
  const ioctl = decoded(t, request(abi.FUSE_IOCTL, Buffer.concat([u64s(5), u32s(0, 0x5401), u64s(0), u32s(0, 60)])), 'IOCTL');
  t.same([ioctl.cmd, ioctl.outSize], [0x5401, 60]);
  t.equal(decoded(t, request(abi.FUSE_ACCESS, u32s(4, 0)), 'ACCESS').mask, 4);
  const getxattr = decoded(t, request(abi.FUSE_GETXATTR, Buffer.concat([u32s(256, 0), cstr('security.selinux')])), 'GETXATTR');
  t.same([getxattr.size, getxattr.name], [256, 'security.selinux']);
  t.equal(decoded(t, request(abi.FUSE_LISTXATTR, u32s(0, 0)), 'LISTXATTR').size, 0);
  const setxattr = decoded(t, request(abi.FUSE_SETXATTR, Buffer.concat([u32s(2, 0), cstr('user.a'), Buffer.from('hi')])), 'SETXATTR');
  t.same([setxattr.name, setxattr.value.toString()], ['user.a', 'hi']);
  t.equal(decoded(t, request(abi.FUSE_REMOVEXATTR, cstr('user.a')), 'REMOVEXATTR').name, 'user.a');
  decoded(t, request(abi.FUSE_STATFS, Buffer.alloc(0)), 'STATFS');
  decoded(t, request(abi.FUSE_READLINK, Buffer.alloc(0)), 'READLINK');
  decoded(t, request(abi.FUSE_DESTROY, Buffer.alloc(0)), 'DESTROY');
});

t.test('unknown opcodes decode as UNKNOWN, to be answered ENOSYS', async (t) => {
  t.equal(decodeRequest(request(abi.FUSE_COPY_FILE_RANGE, Buffer.alloc(56))).op, 'UNKNOWN');
  t.equal(decodeRequest(request(9999, Buffer.alloc(0))).op, 'UNKNOWN');
});

t.test('malformed requests: an error with the unique when it can be read', async (t) => {
  t.match(decodeRequest(Buffer.alloc(4)), { op: 'MALFORMED', unique: undefined, errno: 'EIO' });
  t.match(decodeRequest(request(abi.FUSE_LOOKUP, cstr('x')).subarray(0, 20)), { op: 'MALFORMED', unique: 2, errno: 'EIO' });
  t.match(decodeRequest(request(abi.FUSE_LOOKUP, Buffer.from('no-nul'))), { op: 'MALFORMED', unique: 2, errno: 'EINVAL' });
  t.match(decodeRequest(request(abi.FUSE_READ, Buffer.alloc(10))), { op: 'MALFORMED', errno: 'EINVAL' });
  const lying = request(abi.FUSE_GETATTR, Buffer.alloc(16));
  lying.writeUInt32LE(500, 0);
  t.match(decodeRequest(lying), { op: 'MALFORMED', errno: 'EIO' }, 'len disagrees with what was read');
  const extensions = request(abi.FUSE_GETATTR, Buffer.alloc(16));
  extensions.writeUInt16LE(100, 36);
  t.match(decodeRequest(extensions), { op: 'MALFORMED', errno: 'EIO' }, 'total_extlen beyond the request');
});
