import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { constants } from 'node:os';
import createDebug from 'debug';
import Fuse from 'fuse-native';
import { GpioAggError } from '../errors.js';
import { UNKNOWN_CALLER } from './caller.js';
import { fuseCode } from './fuse-code.js';
import type { NamespaceOperation } from '../fuse/filesystem.js';
import type { FsOperations } from './operations.js';
import type { Mounted } from './transport.js';
import { SOURCE_PREFIX } from './mount-table.js';

const log = createDebug('gpio-aggfs:fuse-native');

/**
 * Mount options. `allow_other` + `default_permissions` make the kernel
 * enforce every entry's mode/owner/group for every process. `direct_io`
 * (which fuse-native only lets through `fsname`) sends every read to us, so
 * an open fd never sees a stale page-cache copy of a value. Entry and
 * attribute timeouts of 0 make a deleted or re-created aggregator visible
 * at once. Exported for the benchmark's floor filesystem, which mounts with
 * exactly these.
 */
export const MOUNT_OPTIONS = {
  allowOther: true,
  defaultPermissions: true,
  // The source names the serving pid, so that `unmount` and a second instance can find it.
  // `intr` makes libfuse signal the thread serving a request the kernel
  // interrupted (a reader hit by Ctrl-C); fuse-native cannot pass that on, so
  // the signal is one Node listens for (see INTERRUPT_SIGNAL).
  fsname: `${SOURCE_PREFIX}${process.pid},direct_io,intr,intr_signal=${constants.signals.SIGUSR2}`,
  subtype: 'gpio-aggfs',
  entryTimeout: '0',
  attrTimeout: '0',
  // An events read waits for the next edge, however long that takes.
  timeout: { default: 15000, read: false },
} as const;

/**
 * Without a way to learn of interrupts, a process killed while blocked in an
 * `events` read would hang in the kernel until the next edge. libfuse sends
 * this signal to its worker thread (repeatedly, until the request ends); as
 * Node handles it, libfuse leaves Node's handler in place, and Node tells us.
 */
const INTERRUPT_SIGNAL = 'SIGUSR2';

/** The FUSE device libfuse opens to mount. */
const FUSE_DEVICE = '/dev/fuse';

/**
 * Say why a mount cannot work before libfuse tries (it would print its own
 * line and leave only "fuse failed" to report): no FUSE device, or one this
 * user may not open.
 */
function checkFuseDevice(mountpoint: string): void {
  try {
    closeSync(openSync(FUSE_DEVICE, fsConstants.O_RDWR));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT' || code === 'ENXIO' || code === 'ENODEV') {
      throw new GpioAggError('ENODEV', `cannot mount ${mountpoint}: there is no ${FUSE_DEVICE} (is the fuse kernel module loaded?)`);
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new GpioAggError('EACCES', `cannot mount ${mountpoint}: ${FUSE_DEVICE} may not be opened by this user (mount as root)`);
    }
    throw new GpioAggError('EIO', `cannot mount ${mountpoint}: cannot open ${FUSE_DEVICE}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Mount `fs` at `mountpoint` through fuse-native; resolves once the kernel
 * has initialised the mount. fuse-native does not tell who made a request:
 * every operation is the unknown caller's.
 */
export function mountFuseNative(mountpoint: string, fs: FsOperations): Promise<Mounted> {
  checkFuseDevice(mountpoint);
  const status = (cb: (code: number) => void, action: () => void): void => {
    try {
      action();
      cb(0);
    } catch (err) {
      cb(fuseCode(err));
    }
  };
  const refuse = (path: string, cb: (code: number) => void, operation?: NamespaceOperation): void =>
    status(cb, () => fs.refuseNamespaceChange(path, operation));

  // fuse-native turns on libfuse's own request trace whenever DEBUG contains a
  // "*"; gpio-aggfs:* should only enable our logs (the debug package has read
  // DEBUG already), so DEBUG is hidden from it while mounting. The trace is
  // asked for by naming fuse-bindings in DEBUG.
  const debugSetting = process.env.DEBUG;
  const traceRequests = debugSetting !== undefined && /(^|,)fuse-bindings(,|$)/.test(debugSetting);
  delete process.env.DEBUG;

  const fuse = new Fuse(mountpoint, {
    getattr: (path, cb) => {
      try { cb(0, fs.getattr(path)); } catch (err) { cb(fuseCode(err)); }
    },
    readdir: (path, cb) => {
      try { cb(0, fs.readdir(path)); } catch (err) { cb(fuseCode(err)); }
    },
    readlink: (path, cb) => {
      try { cb(0, fs.readlink(path)); } catch (err) { cb(fuseCode(err)); }
    },
    open: (path, flags, cb) => {
      try { cb(0, fs.open(path, flags, UNKNOWN_CALLER)); } catch (err) { cb(fuseCode(err)); }
    },
    read: (_path, fd, buf, len, pos, cb) => {
      const deliver = (data: Buffer): void => cb(data.copy(buf, 0, 0, Math.min(len, data.length)));
      try {
        const result = fs.read(fd, len, pos, UNKNOWN_CALLER);
        if (result instanceof Promise) result.then(deliver, (err: unknown) => cb(fuseCode(err)));
        else deliver(result);
      } catch (err) {
        cb(fuseCode(err));
      }
    },
    write: (_path, fd, buf, len, pos, cb) => {
      try { cb(fs.write(fd, buf.subarray(0, len), pos, UNKNOWN_CALLER)); } catch (err) { cb(fuseCode(err)); }
    },
    release: (_path, fd, cb) => status(cb, () => fs.release(fd)),
    truncate: (path, _size, cb) => status(cb, () => fs.truncate(path, UNKNOWN_CALLER)),
    ftruncate: (path, _fd, _size, cb) => status(cb, () => fs.truncate(path, UNKNOWN_CALLER)),
    chmod: (path, mode, cb) => status(cb, () => fs.chmod(path, mode, UNKNOWN_CALLER)),
    chown: (path, uid, gid, cb) => status(cb, () => fs.chown(path, uid, gid, UNKNOWN_CALLER)),
    utimens: (path, atime, mtime, cb) => status(cb, () => fs.utimens(path, new Date(atime), new Date(mtime), UNKNOWN_CALLER)),
    statfs: (_path, cb) => cb(0, fs.statfs()),
    create: (path, _mode, cb) => refuse(path, cb, 'create'),
    mknod: (path, _mode, _dev, cb) => refuse(path, cb),
    unlink: (path, cb) => refuse(path, cb),
    mkdir: (path, _mode, cb) => refuse(path, cb),
    rmdir: (path, cb) => refuse(path, cb),
    rename: (src, _dest, cb) => refuse(src, cb),
    link: (_src, dest, cb) => refuse(dest, cb),
    symlink: (_target, path, cb) => refuse(path, cb),
  }, { ...MOUNT_OPTIONS, debug: traceRequests });

  const onInterrupt = (): void => {
    log('interrupt');
    fs.interruptWaitingReads();
  };
  process.on(INTERRUPT_SIGNAL, onInterrupt);
  return new Promise((resolve, reject) => {
    fuse.mount((err) => {
      if (debugSetting !== undefined) process.env.DEBUG = debugSetting;
      if (err) {
        process.off(INTERRUPT_SIGNAL, onInterrupt);
        // libfuse has printed its reason on stderr already; fuse-native only says "fuse failed".
        reject(new GpioAggError('EIO', `cannot mount ${mountpoint}: libfuse refused the mount (${err.message})`, { cause: err }));
        return;
      }
      log('mounted %s', mountpoint);
      resolve({
        unmount: () => new Promise<void>((done, fail) => {
          fuse.unmount((unmountErr) => {
            process.off(INTERRUPT_SIGNAL, onInterrupt);
            if (unmountErr) fail(new GpioAggError('EBUSY', `cannot unmount ${mountpoint}: ${unmountErr.message}`));
            else done();
          });
        }),
      });
    });
  });
}
