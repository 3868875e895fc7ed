/**
 * The kernel's FUSE protocol, copied from include/uapi/linux/fuse.h
 * (protocol 7.38, the version of Linux 6.1). Names are the header's; each
 * constant sits next to its source name. Layouts are little-endian on every
 * architecture gpio-aggfs runs on.
 */

/** FUSE_KERNEL_VERSION */
export const FUSE_KERNEL_VERSION = 7;
/** FUSE_KERNEL_MINOR_VERSION: the newest minor version this transport speaks. */
export const FUSE_KERNEL_MINOR_VERSION = 38;
/** The oldest minor version accepted (Linux 5.4 speaks 7.31). */
export const FUSE_OLDEST_MINOR_VERSION = 26;
/** FUSE_ROOT_ID */
export const FUSE_ROOT_ID = 1;
/** FUSE_MIN_READ_BUFFER */
export const FUSE_MIN_READ_BUFFER = 8192;

/** enum fuse_opcode */
export const FUSE_LOOKUP = 1;
export const FUSE_FORGET = 2;
export const FUSE_GETATTR = 3;
export const FUSE_SETATTR = 4;
export const FUSE_READLINK = 5;
export const FUSE_SYMLINK = 6;
export const FUSE_MKNOD = 8;
export const FUSE_MKDIR = 9;
export const FUSE_UNLINK = 10;
export const FUSE_RMDIR = 11;
export const FUSE_RENAME = 12;
export const FUSE_LINK = 13;
export const FUSE_OPEN = 14;
export const FUSE_READ = 15;
export const FUSE_WRITE = 16;
export const FUSE_STATFS = 17;
export const FUSE_RELEASE = 18;
export const FUSE_FSYNC = 20;
export const FUSE_SETXATTR = 21;
export const FUSE_GETXATTR = 22;
export const FUSE_LISTXATTR = 23;
export const FUSE_REMOVEXATTR = 24;
export const FUSE_FLUSH = 25;
export const FUSE_INIT = 26;
export const FUSE_OPENDIR = 27;
export const FUSE_READDIR = 28;
export const FUSE_RELEASEDIR = 29;
export const FUSE_FSYNCDIR = 30;
export const FUSE_GETLK = 31;
export const FUSE_SETLK = 32;
export const FUSE_SETLKW = 33;
export const FUSE_ACCESS = 34;
export const FUSE_CREATE = 35;
export const FUSE_INTERRUPT = 36;
export const FUSE_BMAP = 37;
export const FUSE_DESTROY = 38;
export const FUSE_IOCTL = 39;
export const FUSE_POLL = 40;
export const FUSE_NOTIFY_REPLY = 41;
export const FUSE_BATCH_FORGET = 42;
export const FUSE_FALLOCATE = 43;
export const FUSE_READDIRPLUS = 44;
export const FUSE_RENAME2 = 45;
export const FUSE_LSEEK = 46;
export const FUSE_COPY_FILE_RANGE = 47;
export const FUSE_SETUPMAPPING = 48;
export const FUSE_REMOVEMAPPING = 49;
export const FUSE_SYNCFS = 50;
export const FUSE_TMPFILE = 51;

/** enum fuse_notify_code */
export const FUSE_NOTIFY_POLL = 1;
export const FUSE_NOTIFY_INVAL_INODE = 2;
export const FUSE_NOTIFY_INVAL_ENTRY = 3;
export const FUSE_NOTIFY_STORE = 4;
export const FUSE_NOTIFY_RETRIEVE = 5;
export const FUSE_NOTIFY_DELETE = 6;

/** INIT flags (fuse_init_in.flags / fuse_init_out.flags) */
export const FUSE_ASYNC_READ = 1 << 0;
export const FUSE_POSIX_LOCKS = 1 << 1;
export const FUSE_FILE_OPS = 1 << 2;
export const FUSE_ATOMIC_O_TRUNC = 1 << 3;
export const FUSE_EXPORT_SUPPORT = 1 << 4;
export const FUSE_BIG_WRITES = 1 << 5;
export const FUSE_DONT_MASK = 1 << 6;
export const FUSE_SPLICE_WRITE = 1 << 7;
export const FUSE_SPLICE_MOVE = 1 << 8;
export const FUSE_SPLICE_READ = 1 << 9;
export const FUSE_FLOCK_LOCKS = 1 << 10;
export const FUSE_HAS_IOCTL_DIR = 1 << 11;
export const FUSE_AUTO_INVAL_DATA = 1 << 12;
export const FUSE_DO_READDIRPLUS = 1 << 13;
export const FUSE_READDIRPLUS_AUTO = 1 << 14;
export const FUSE_ASYNC_DIO = 1 << 15;
export const FUSE_WRITEBACK_CACHE = 1 << 16;
export const FUSE_NO_OPEN_SUPPORT = 1 << 17;
export const FUSE_PARALLEL_DIROPS = 1 << 18;
export const FUSE_HANDLE_KILLPRIV = 1 << 19;
export const FUSE_POSIX_ACL = 1 << 20;
export const FUSE_ABORT_ERROR = 1 << 21;
export const FUSE_MAX_PAGES = 1 << 22;
export const FUSE_CACHE_SYMLINKS = 1 << 23;
export const FUSE_NO_OPENDIR_SUPPORT = 1 << 24;
export const FUSE_EXPLICIT_INVAL_DATA = 1 << 25;
export const FUSE_MAP_ALIGNMENT = 1 << 26;
export const FUSE_SUBMOUNTS = 1 << 27;
export const FUSE_HANDLE_KILLPRIV_V2 = 1 << 28;
export const FUSE_SETXATTR_EXT = 1 << 29;
export const FUSE_INIT_EXT = 1 << 30;

/** setattr valid bits (FATTR_*) */
export const FATTR_MODE = 1 << 0;
export const FATTR_UID = 1 << 1;
export const FATTR_GID = 1 << 2;
export const FATTR_SIZE = 1 << 3;
export const FATTR_ATIME = 1 << 4;
export const FATTR_MTIME = 1 << 5;
export const FATTR_FH = 1 << 6;
export const FATTR_ATIME_NOW = 1 << 7;
export const FATTR_MTIME_NOW = 1 << 8;
export const FATTR_LOCKOWNER = 1 << 9;
export const FATTR_CTIME = 1 << 10;

/** fuse_open_out.open_flags (FOPEN_*) */
export const FOPEN_DIRECT_IO = 1 << 0;
export const FOPEN_KEEP_CACHE = 1 << 1;
export const FOPEN_NONSEEKABLE = 1 << 2;
export const FOPEN_CACHE_DIR = 1 << 3;
export const FOPEN_STREAM = 1 << 4;

/** fuse_getattr_in.getattr_flags: FUSE_GETATTR_FH */
export const FUSE_GETATTR_FH = 1 << 0;
/** fuse_poll_in.flags: FUSE_POLL_SCHEDULE_NOTIFY */
export const FUSE_POLL_SCHEDULE_NOTIFY = 1 << 0;
/** fuse_notify_inval_entry_out.flags: FUSE_EXPIRE_ONLY */
export const FUSE_EXPIRE_ONLY = 1 << 0;
/** The bit the kernel sets in an INTERRUPT request's own unique (FUSE_INT_REQ_BIT, fs/fuse/fuse_i.h). */
export const FUSE_INT_REQ_BIT = 1;

/** Structure sizes (sizeof) */
export const FUSE_IN_HEADER_SIZE = 40; // struct fuse_in_header
export const FUSE_OUT_HEADER_SIZE = 16; // struct fuse_out_header
export const FUSE_ATTR_SIZE = 88; // struct fuse_attr
export const FUSE_ENTRY_OUT_SIZE = 128; // struct fuse_entry_out
export const FUSE_ATTR_OUT_SIZE = 104; // struct fuse_attr_out
export const FUSE_OPEN_OUT_SIZE = 16; // struct fuse_open_out
export const FUSE_WRITE_OUT_SIZE = 8; // struct fuse_write_out
export const FUSE_STATFS_OUT_SIZE = 80; // struct fuse_statfs_out (struct fuse_kstatfs)
export const FUSE_POLL_OUT_SIZE = 8; // struct fuse_poll_out
export const FUSE_LSEEK_OUT_SIZE = 8; // struct fuse_lseek_out
export const FUSE_GETXATTR_OUT_SIZE = 8; // struct fuse_getxattr_out
export const FUSE_INIT_IN_COMPAT_SIZE = 16; // fuse_init_in before 7.36 (no flags2)
export const FUSE_INIT_OUT_SIZE = 64; // struct fuse_init_out
export const FUSE_COMPAT_22_INIT_OUT_SIZE = 24; // FUSE_COMPAT_22_INIT_OUT_SIZE
export const FUSE_DIRENT_SIZE = 24; // FUSE_NAME_OFFSET: offsetof(struct fuse_dirent, name)
export const FUSE_DIRENTPLUS_SIZE = 152; // FUSE_NAME_OFFSET_DIRENTPLUS
export const FUSE_NOTIFY_POLL_WAKEUP_OUT_SIZE = 8; // struct fuse_notify_poll_wakeup_out
export const FUSE_NOTIFY_INVAL_INODE_OUT_SIZE = 24; // struct fuse_notify_inval_inode_out
export const FUSE_NOTIFY_INVAL_ENTRY_OUT_SIZE = 16; // struct fuse_notify_inval_entry_out
export const FUSE_NOTIFY_DELETE_OUT_SIZE = 24; // struct fuse_notify_delete_out

/** FUSE_REC_ALIGN / FUSE_DIRENT_ALIGN: variable-length records align to 8 bytes. */
export function fuseRecAlign(size: number): number {
  return (size + 7) & ~7;
}

/** poll(2) event bits as the kernel's uapi/asm-generic/poll.h defines them. */
export const POLLIN = 0x001;
export const POLLPRI = 0x002;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLRDNORM = 0x040;
export const POLLWRNORM = 0x100;
/** DEFAULT_POLLMASK (include/linux/poll.h): what a file without a poll method answers. */
export const DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
