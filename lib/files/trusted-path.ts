import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { fromSystemError, GpioAggError } from '../errors.js';

const S_ISVTX = 0o1000;
const GROUP_OR_OTHER_WRITE = 0o022;

/**
 * Files root trusts (the state and config files) must not be changeable by
 * anyone else: not through the file, not by replacing it in its directory,
 * not by replacing a directory above it. A directory is safe when it is owned
 * by root or by this process's user, and either nobody else may write it or
 * it has the sticky bit (like /tmp: others may add names, but not remove or
 * rename ours). Every directory on the way is checked, both as written
 * (where a symlink on the way lives) and after resolving symlinks.
 */
export function checkDirectories(file: string, what: string): void {
  const directory = dirname(resolve(file));
  checkSymlinksOnTheWay(directory, file, what);
  let real: string;
  try {
    real = realpathSync(directory);
  } catch (err) {
    throw fromSystemError(err, `${file}: cannot use the ${what}: its directory ${directory} is not usable`);
  }
  const checked = new Set<string>();
  for (const path of [...ancestors(directory), ...ancestors(real)]) {
    if (checked.has(path)) continue;
    checked.add(path);
    let info: Stats;
    try {
      info = statSync(path);
    } catch (err) {
      throw fromSystemError(err, `${file}: cannot use the ${what}: cannot check ${path}`);
    }
    const owner = trustedOwner(info.uid);
    if (!owner) {
      throw new GpioAggError('EACCES', `${file}: refusing the ${what}: ${path} is owned by uid ${info.uid},`
        + ` not by root or by this process (uid ${euid()}), so that user could replace the ${what}`);
    }
    if ((info.mode & GROUP_OR_OTHER_WRITE) !== 0 && (info.mode & S_ISVTX) === 0) {
      throw new GpioAggError('EACCES', `${file}: refusing the ${what}: ${path} (mode ${octal(info.mode)}) is writable`
        + ` by other users and has no sticky bit, so anyone could replace the ${what};`
        + ' use a directory only root can write, such as /var/lib/gpio-aggfs');
    }
  }
}

/**
 * A symbolic link on the way to `path` (as written) that belongs to another
 * user is refused: in a sticky directory such as /tmp anyone can put one
 * there and point it anywhere (the kernel's fs.protected_symlinks would stop
 * root following it, but is not on everywhere). Links of root's or of this
 * process's user are followed (the directories they lead to are checked too).
 * Components that do not exist yet are not checked: there is nothing there.
 */
export function checkSymlinksOnTheWay(path: string, name: string, what: string): void {
  for (const ancestor of ancestors(resolve(path))) {
    let info: Stats;
    try {
      info = lstatSync(ancestor);
    } catch {
      return;
    }
    if (info.isSymbolicLink() && !trustedOwner(info.uid)) {
      throw new GpioAggError('EACCES', `${name}: refusing the ${what}: ${ancestor} is a symbolic link of uid ${info.uid},`
        + ` not of root or of this process (uid ${euid()}), so that user could point it anywhere; give the real path`);
    }
  }
}

export interface TrustedReadOptions {
  /** Open a symlink's target (config files) or refuse any symlink (the state file). */
  readonly followSymlink: boolean;
  /** Refuse a file with more than one name: another name may be somewhere others control. */
  readonly singleLink: boolean;
}

/**
 * Read a file after checking its directories (checkDirectories) and the file
 * itself, through the descriptor that is read: a regular file, owned by root
 * or this process's user, writable by nobody else. Returns undefined when it
 * does not exist. Errors name the file and the reason, never its content.
 */
export function readTrustedFile(file: string, what: string, options: TrustedReadOptions): string | undefined {
  checkDirectories(file, what);
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted at the name must not hang the start.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | (options.followSymlink ? 0 : constants.O_NOFOLLOW));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') {
      throw new GpioAggError('ELOOP', `${file}: refusing the ${what}: it is a symbolic link, which gpio-aggfs never follows`
        + ' (whoever can change it could point it anywhere); give the real path');
    }
    throw fromSystemError(err, `${file}: cannot read the ${what}`);
  }
  try {
    checkOpenFile(fd, file, what, options.singleLink);
    return readFileSync(fd, 'utf8');
  } catch (err) {
    throw fromSystemError(err, `${file}: cannot read the ${what}`);
  } finally {
    closeSync(fd);
  }
}

/** The checks on an open file that the process trusts (see readTrustedFile). */
export function checkOpenFile(fd: number, file: string, what: string, singleLink: boolean): void {
  const info = fstatSync(fd);
  if (!info.isFile()) {
    throw new GpioAggError('EINVAL', `${file}: refusing the ${what}: it is not a regular file`);
  }
  if (!trustedOwner(info.uid)) {
    throw new GpioAggError('EACCES', `${file}: refusing the ${what}: it is owned by uid ${info.uid},`
      + ` not by root or by this process (uid ${euid()})`);
  }
  if ((info.mode & GROUP_OR_OTHER_WRITE) !== 0) {
    throw new GpioAggError('EACCES', `${file}: refusing the ${what}: its mode ${octal(info.mode)} lets other users`
      + ' write it; chmod go-w it if its content is what you want');
  }
  if (singleLink && info.nlink !== 1) {
    throw new GpioAggError('EACCES', `${file}: refusing the ${what}: it has ${info.nlink} hard links;`
      + ' another name of it may be in a place others control');
  }
}

/** This process's effective uid (what owns the files it creates). */
export function euid(): number {
  return process.geteuid?.() ?? 0;
}

function trustedOwner(uid: number): boolean {
  return uid === 0 || uid === euid();
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** "/a/b/c" → ["/", "/a", "/a/b", "/a/b/c"]. */
function ancestors(directory: string): string[] {
  const parts = directory.split(sep).filter((part) => part !== '');
  return [sep, ...parts.map((_, index) => sep + parts.slice(0, index + 1).join(sep))];
}
