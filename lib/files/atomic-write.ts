import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fsyncSync, lstatSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Attempts at a fresh temporary name before giving up (each name is 64 random bits). */
const NAME_ATTEMPTS = 16;

/**
 * Replace `file` with `data` atomically and durably: write a new temporary
 * file in the same directory (a fresh random name, O_CREAT|O_EXCL|O_NOFOLLOW,
 * so nothing planted at any name is ever opened or written through), fsync
 * it, rename it over `file`, fsync the directory. A crash at any point
 * leaves either the old or the new file, complete. Synchronous, so that a
 * change is on disk before the operation that made it is answered.
 * Throws the system error (with its errno `code`); the temporary file is
 * removed on failure.
 */
export function replaceFile(file: string, data: Buffer, mode = 0o600): void {
  const directory = dirname(file);
  const { fd, temporary } = createTemporary(directory, basename(file), mode);
  let renamed = false;
  try {
    try {
      // The umask may have taken bits away; this sets exactly `mode`.
      fchmodSync(fd, mode);
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written, data.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
    renamed = true;
    const directoryFd = openSync(directory, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fsyncSync(directoryFd);
    } finally {
      closeSync(directoryFd);
    }
  } catch (err) {
    if (!renamed) {
      try {
        unlinkSync(temporary);
      } catch {
        // Nothing more can be done; the name is random and never reused.
      }
    }
    throw err;
  }
}

/**
 * Remove the temporary files of `file` that a process killed while saving
 * left behind: names of the form replaceFile uses, regular files owned by
 * this user. Anything else (someone else's file with such a name, a symlink)
 * is left alone. For a process that alone writes `file` (it holds its lock).
 * Returns the names removed.
 */
export function removeStaleTemporaries(file: string): string[] {
  const directory = dirname(file);
  const pattern = temporaryPattern(basename(file));
  const euid = process.geteuid?.() ?? 0;
  const removed: string[] = [];
  for (const name of readdirSync(directory)) {
    if (!pattern.test(name)) continue;
    const path = join(directory, name);
    try {
      const info = lstatSync(path);
      if (!info.isFile() || info.uid !== euid) continue;
      unlinkSync(path);
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}

function temporaryName(name: string): string {
  return `.${name}.${randomBytes(8).toString('hex')}.tmp`;
}

function temporaryPattern(name: string): RegExp {
  return new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.[0-9a-f]{16}\\.tmp$`);
}

/** A fresh temporaryName, created exclusively. */
function createTemporary(directory: string, name: string, mode: number): { fd: number; temporary: string } {
  for (let attempt = 1; ; attempt += 1) {
    const temporary = join(directory, temporaryName(name));
    try {
      const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
      return { fd: openSync(temporary, flags, mode), temporary };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= NAME_ATTEMPTS) throw err;
    }
  }
}
