import { execFile, spawn } from 'node:child_process';
import { constants, openSync } from 'node:fs';
import { promisify } from 'node:util';
import createDebug from 'debug';
import { LibcError, MS_NODEV, MS_NOSUID, closeFd, mount as mountSyscall, receiveFd, setNonBlocking, socketPair } from './libc.js';

const log = createDebug('gpio-aggfs:fuse:mount');
const run = promisify(execFile);

export interface MountOptions {
  readonly mountpoint: string;
  /** The source shown in /proc/self/mountinfo (fsname). */
  readonly source: string;
  /** The filesystem type becomes `fuse.<subtype>`. */
  readonly subtype: string;
  /** Let other users in (non-root: needs `user_allow_other` in /etc/fuse.conf). */
  readonly allowOther: boolean;
  /** The kernel checks mode, owner and group (default_permissions). */
  readonly defaultPermissions: boolean;
}

/** A mount failed: `errno` says why. */
export class MountError extends Error {
  constructor(message: string, readonly errno: number) {
    super(message);
  }
}

const ENOENT = 2;
const EIO = 5;
const ENOTDIR = 20;
const ELOOP = 40;

function genericOptions(options: MountOptions): string[] {
  return [
    ...(options.allowOther ? ['allow_other'] : []),
    ...(options.defaultPermissions ? ['default_permissions'] : []),
  ];
}

/**
 * Mount a FUSE filesystem at `options.mountpoint`; returns the /dev/fuse fd
 * to serve it on, non-blocking. As root: open /dev/fuse and mount(2) with
 * `fd=`. Otherwise through the setuid fusermount3, which opens /dev/fuse,
 * mounts and sends the fd back over a socket (as libfuse does).
 */
export async function mountFuse(options: MountOptions): Promise<number> {
  return process.getuid?.() === 0 ? mountAsRoot(options) : mountWithFusermount(options);
}

/**
 * mount(2) follows a symlink at the target. The directory is opened first
 * without following one (O_NOFOLLOW), and the mount made on that very
 * directory through /proc/self/fd: a symlink put in its place meanwhile
 * changes nothing.
 */
function mountAsRoot(options: MountOptions): number {
  let directory: number;
  try {
    directory = openSync(options.mountpoint, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const errno = code === 'ELOOP' ? ELOOP : code === 'ENOTDIR' ? ENOTDIR : code === 'ENOENT' ? ENOENT : EIO;
    throw new MountError(code === 'ELOOP' ? `${options.mountpoint} is a symbolic link, which gpio-aggfs never follows`
      : `cannot open ${options.mountpoint} (${code ?? 'EIO'})`, errno);
  }
  let fd: number;
  try {
    fd = openSync('/dev/fuse', constants.O_RDWR | constants.O_NONBLOCK);
    const data = [`fd=${fd}`, 'rootmode=40000', `user_id=${process.getuid?.() ?? 0}`, `group_id=${process.getgid?.() ?? 0}`, ...genericOptions(options)].join(',');
    try {
      mountSyscall(options.source, `/proc/self/fd/${directory}`, `fuse.${options.subtype}`, MS_NOSUID | MS_NODEV, data);
    } catch (err) {
      closeFd(fd);
      const errno = err instanceof LibcError ? err.errno : EIO;
      throw new MountError(`mount(2) of ${options.mountpoint} failed (errno ${errno})`, errno);
    }
  } finally {
    closeFd(directory);
  }
  log('mounted %s with mount(2), fd %d', options.mountpoint, fd);
  return fd;
}

async function mountWithFusermount(options: MountOptions): Promise<number> {
  const [ours, theirs] = socketPair();
  const mountOptions = [`fsname=${options.source}`, `subtype=${options.subtype}`, ...genericOptions(options)].join(',');
  try {
    const child = spawn('fusermount3', ['-o', mountOptions, '--', options.mountpoint], {
      stdio: ['ignore', 'ignore', 'pipe', theirs],
      env: { ...process.env, _FUSE_COMMFD: '3' },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const code = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (exitCode) => resolve(exitCode ?? 1));
    }).catch((err: Error) => { throw new MountError(`cannot run fusermount3: ${err.message}`, EIO); });
    if (code !== 0) throw new MountError(`fusermount3 failed: ${stderr.trim() || `exit ${code}`}`, EIO);
    const fd = receiveFd(ours);
    setNonBlocking(fd);
    log('mounted %s through fusermount3, fd %d', options.mountpoint, fd);
    return fd;
  } finally {
    closeFd(ours);
    closeFd(theirs);
  }
}

/**
 * Unmount; `lazy` detaches a mount still in use (a process inside it).
 * Runs umount/fusermount3 as a child so this process keeps answering
 * the kernel meanwhile.
 */
export async function unmountFuse(mountpoint: string, lazy: boolean): Promise<void> {
  const argv = process.getuid?.() === 0
    ? ['umount', ...(lazy ? ['-l'] : []), mountpoint]
    : ['fusermount3', lazy ? '-uz' : '-u', mountpoint];
  await run(argv[0] as string, argv.slice(1));
}
