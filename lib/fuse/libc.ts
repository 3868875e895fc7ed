import koffi from 'koffi';

/**
 * The few libc calls Node does not offer, through koffi: mount(2), and
 * receiving a file descriptor over a Unix socket (SCM_RIGHTS) from
 * fusermount3. Signatures and constants from <sys/mount.h>,
 * <sys/socket.h>, <fcntl.h> (x86-64 / arm64 Linux).
 */

const AF_UNIX = 1; // <bits/socket.h> PF_LOCAL
const SOCK_STREAM = 1; // <bits/socket_type.h>
const SOCK_CLOEXEC = 0o2000000; // <bits/socket_type.h>
const SOL_SOCKET = 1; // <asm-generic/socket.h>
const SCM_RIGHTS = 1; // <bits/socket.h>
const MSG_DONTWAIT = 0x40; // <bits/socket.h>
const MSG_CMSG_CLOEXEC = 0x40000000; // <bits/socket.h>
const F_GETFL = 3; // <asm-generic/fcntl.h>
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;
export const MS_NOSUID = 2; // <sys/mount.h>
export const MS_NODEV = 4;

/** sizeof(struct msghdr), sizeof(struct cmsghdr) on LP64. */
const MSGHDR_SIZE = 56;
const CMSGHDR_SIZE = 16;
/** CMSG_SPACE(sizeof(int)) */
const CMSG_SPACE_INT = 24;

interface Libc {
  mount(source: string, target: string, type: string, flags: number, data: string): number;
  socketpair(domain: number, type: number, protocol: number, sv: Int32Array): number;
  recvmsg(fd: number, msg: Buffer, flags: number): number;
  fcntl(fd: number, cmd: number, ...args: unknown[]): number;
  close(fd: number): number;
}

let loaded: Libc | undefined;

/** Loaded on first use: only mounting needs it. */
function libc(): Libc {
  if (loaded === undefined) {
    const lib = koffi.load('libc.so.6');
    loaded = {
      mount: lib.func('int mount(const char *source, const char *target, const char *filesystemtype, unsigned long mountflags, const char *data)'),
      socketpair: lib.func('int socketpair(int domain, int type, int protocol, _Out_ int *sv)'),
      recvmsg: lib.func('intptr_t recvmsg(int sockfd, void *msg, int flags)'),
      fcntl: lib.func('int fcntl(int fd, int cmd, ...)'),
      close: lib.func('int close(int fd)'),
    };
  }
  return loaded;
}

/** A failed libc call, carrying the errno. */
export class LibcError extends Error {
  constructor(readonly call: string, readonly errno: number) {
    super(`${call} failed (errno ${errno})`);
  }
}

function check(call: string, result: number): number {
  if (result < 0) throw new LibcError(call, koffi.errno());
  return result;
}

export function mount(source: string, target: string, type: string, flags: number, data: string): void {
  check('mount', libc().mount(source, target, type, flags, data));
}

/** A connected pair of Unix stream sockets, close-on-exec. */
export function socketPair(): [number, number] {
  const sv = new Int32Array(2);
  check('socketpair', libc().socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  return [sv[0] as number, sv[1] as number];
}

/** Receive one file descriptor sent with SCM_RIGHTS (without waiting: the sender has sent it already). */
export function receiveFd(socket: number): number {
  const data = Buffer.alloc(1);
  const iov = Buffer.alloc(16); // struct iovec
  iov.writeBigUInt64LE(koffi.address(data), 0);
  iov.writeBigUInt64LE(BigInt(data.length), 8);
  const control = Buffer.alloc(CMSG_SPACE_INT);
  const msg = Buffer.alloc(MSGHDR_SIZE); // struct msghdr
  msg.writeBigUInt64LE(koffi.address(iov), 16); // msg_iov
  msg.writeBigUInt64LE(1n, 24); // msg_iovlen
  msg.writeBigUInt64LE(koffi.address(control), 32); // msg_control
  msg.writeBigUInt64LE(BigInt(control.length), 40); // msg_controllen
  const received = check('recvmsg', libc().recvmsg(socket, msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC));
  if (received === 0) throw new LibcError('recvmsg (no file descriptor sent)', 0);
  // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the fd.
  const length = Number(control.readBigUInt64LE(0));
  const level = control.readInt32LE(8);
  const type = control.readInt32LE(12);
  if (length < CMSGHDR_SIZE + 4 || level !== SOL_SOCKET || type !== SCM_RIGHTS) {
    throw new LibcError('recvmsg (no SCM_RIGHTS message)', 0);
  }
  return control.readInt32LE(CMSGHDR_SIZE);
}

export function setNonBlocking(fd: number): void {
  const flags = check('fcntl(F_GETFL)', libc().fcntl(fd, F_GETFL));
  check('fcntl(F_SETFL)', libc().fcntl(fd, F_SETFL, 'int', flags | O_NONBLOCK));
}

export function closeFd(fd: number): void {
  libc().close(fd);
}
