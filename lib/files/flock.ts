import { constants } from 'node:os';
import koffi from 'koffi';
import { errnoName } from '../errors.js';

/*
 * flock(2) from glibc (Node has no binding for it). <sys/file.h>:
 *   int flock(int fd, int operation);
 */
const libc = koffi.load('libc.so.6');
const flockCall = libc.func('int flock(int fd, int operation)');

const LOCK_EX = 2; // <sys/file.h>: #define LOCK_EX 2
const LOCK_NB = 4; // <sys/file.h>: #define LOCK_NB 4

/**
 * Take an exclusive flock on `fd` without waiting: true when taken, false
 * when another open file holds it. The kernel drops the lock when the last
 * descriptor of this open file closes, so it dies with the process, even
 * on kill -9. Any other failure throws an Error carrying its errno `code`.
 */
export function tryExclusiveLock(fd: number): boolean {
  for (;;) {
    if (flockCall(fd, LOCK_EX | LOCK_NB) === 0) return true;
    const errno = koffi.errno();
    if (errno === constants.errno.EWOULDBLOCK) return false;
    if (errno === constants.errno.EINTR) continue;
    throw Object.assign(new Error(`flock: errno ${errno}`), { code: errnoName(errno) ?? 'EIO' });
  }
}
