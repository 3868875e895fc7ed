import { closeSync, constants, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { fromSystemError, GpioAggError } from '../errors.js';
import { tryExclusiveLock } from './flock.js';
import { checkDirectories, checkOpenFile } from './trusted-path.js';

export interface FileLock {
  readonly path: string;
  /** Give the lock up (closing its descriptor); the lock file stays for the next start. */
  release(): void;
}

/**
 * Hold `path` (created if missing, mode 0600) locked with flock for as long
 * as this process runs or until release(). The file is opened like a trusted
 * file (never through a symlink; a regular file of ours that only we may
 * write, with one name) and holds the holder's pid for the message another
 * process gets. Another holder → EBUSY naming it. `what` says what the lock
 * protects ("the state file /var/lib/gpio-aggfs/state.json").
 */
export function lockFile(path: string, what: string): FileLock {
  checkDirectories(path, 'lock file');
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new GpioAggError('ELOOP', `${path}: refusing the lock file: it is a symbolic link, which gpio-aggfs never follows`);
    }
    throw fromSystemError(err, `${path}: cannot open the lock file`);
  }
  try {
    checkOpenFile(fd, path, 'lock file', true);
    if (!tryExclusiveLock(fd)) {
      const holder = holderPid(fd);
      throw new GpioAggError('EBUSY', `${what} is in use by another gpio-aggfs`
        + `${holder === undefined ? '' : ` (pid ${holder})`}, which holds ${path}; stop it first, or give each instance its own state file`);
    }
    const pid = Buffer.from(`${process.pid}\n`);
    ftruncateSync(fd, 0);
    writeSync(fd, pid, 0, pid.length, 0);
  } catch (err) {
    closeSync(fd);
    throw fromSystemError(err, `${path}: cannot lock`);
  }
  let held = true;
  return {
    path,
    release: () => {
      if (!held) return;
      held = false;
      closeSync(fd);
    },
  };
}

/** The pid the holder wrote, when the file holds just that. */
function holderPid(fd: number): number | undefined {
  const buffer = Buffer.alloc(16);
  const length = readSync(fd, buffer, 0, buffer.length, 0);
  const text = buffer.subarray(0, length).toString('latin1');
  return /^[1-9][0-9]{0,9}\n$/.test(text) ? Number(text.trim()) : undefined;
}
