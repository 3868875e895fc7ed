import { closeSync, constants, fstatSync, ftruncateSync, lstatSync, openSync, readSync, writeSync } from 'node:fs';
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
  const writer = openLockFile(path, constants.O_RDWR | constants.O_CREAT);
  let reader: number | undefined;
  try {
    checkOpenFile(writer, path, 'lock file', true);
    // The lock is held through a read-only descriptor: a descriptor open for
    // writing would keep the state directory from being remounted read-only.
    reader = openLockFile(path, constants.O_RDONLY);
    const [written, read] = [fstatSync(writer), fstatSync(reader)];
    if (written.dev !== read.dev || written.ino !== read.ino) {
      throw new GpioAggError('EBUSY', `${path}: the lock file was replaced while it was being opened; try again`);
    }
    if (!tryExclusiveLock(reader)) {
      const holder = holderPid(reader);
      throw new GpioAggError('EBUSY', `${what} is in use by another gpio-aggfs`
        + `${holder === undefined ? '' : ` (pid ${holder})`}, which holds ${path}; stop it first, or give each instance its own state file`);
    }
    const pid = Buffer.from(`${process.pid}\n`);
    ftruncateSync(writer, 0);
    writeSync(writer, pid, 0, pid.length, 0);
  } catch (err) {
    if (reader !== undefined) closeSync(reader);
    throw fromSystemError(err, `${path}: cannot lock`);
  } finally {
    closeSync(writer);
  }
  const fd = reader;
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

function openLockFile(path: string, flags: number): number {
  try {
    return openSync(path, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  } catch (err) {
    // O_NOFOLLOW gives ELOOP, but with O_CREAT in a sticky directory Linux may answer EACCES first.
    if ((err as NodeJS.ErrnoException).code === 'ELOOP' || isSymlink(path)) {
      throw new GpioAggError('ELOOP', `${path}: refusing the lock file: it is a symbolic link, which gpio-aggfs never follows`);
    }
    throw fromSystemError(err, `${path}: cannot open the lock file`);
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The pid the holder wrote, when the file holds just that. */
function holderPid(fd: number): number | undefined {
  const buffer = Buffer.alloc(16);
  const length = readSync(fd, buffer, 0, buffer.length, 0);
  const text = buffer.subarray(0, length).toString('latin1');
  return /^[1-9][0-9]{0,9}\n$/.test(text) ? Number(text.trim()) : undefined;
}
