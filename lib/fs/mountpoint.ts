import { execFile } from 'node:child_process';
import { lstat, mkdir, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import createDebug from 'debug';
import { GpioAggError } from '../errors.js';
import { checkSymlinksOnTheWay } from '../files/trusted-path.js';
import { FS_TYPE, mountOwner, mountsAt, servingPid, type MountEntry } from './mount-table.js';

const log = createDebug('gpio-aggfs:mountpoint');
const run = promisify(execFile);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Unmount a FUSE mount (lazily, so a stuck one goes too). */
export async function fuseUnmount(mountpoint: string): Promise<void> {
  try {
    await run('fusermount', ['-uz', mountpoint]);
  } catch (err) {
    await run('umount', ['-l', mountpoint]).catch((umountErr: { stderr?: string }) => {
      // The tools' own words (e.g. "Operation not permitted"), on one line, without the command line.
      const why = `${(err as { stderr?: string }).stderr ?? ''} ${umountErr.stderr ?? ''}`.replace(/\s+/g, ' ').trim();
      throw new GpioAggError('EBUSY', `cannot unmount ${mountpoint}${why === '' ? '' : `: ${why}`}`);
    });
  }
}

/**
 * Make `mountpoint` ready for a new instance: create it if missing; clear a
 * gpio-aggfs mount left behind by a killed instance; refuse when a live
 * instance serves it, and refuse a symlink: mounting follows it, so whoever
 * can plant one at the name (in /tmp, say) could have root mount over any
 * directory. Asynchronous only: a synchronous call on a FUSE mount of our
 * own process would deadlock.
 */
export async function prepareMountpoint(mountpoint: string): Promise<void> {
  // Created through, and mounted on through, no directory another user can point elsewhere.
  checkSymlinksOnTheWay(dirname(mountpoint), mountpoint, 'mountpoint');
  for (const entry of await mountsAt(mountpoint)) {
    if (entry.fsType !== FS_TYPE) continue;
    const pid = servingPid(entry);
    if (pid !== undefined && pid !== process.pid && isAlive(pid)) {
      const answers = await stat(mountpoint).then(() => true, () => false);
      if (answers) {
        throw new GpioAggError('EBUSY', `${mountpoint} is already served by gpio-aggfs (pid ${pid})`);
      }
    }
    log('clearing stale mount at %s (%s)', mountpoint, entry.source);
    console.error(`gpio-aggfs: clearing a stale mount left at ${mountpoint}`);
    await fuseUnmount(mountpoint);
  }
  const existing = await lstat(mountpoint).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new GpioAggError('EIO', `cannot use ${mountpoint}: ${err.message}`);
  });
  if (existing === undefined) {
    await mkdir(mountpoint, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      throw new GpioAggError(err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS' ? err.code : 'EIO',
        `cannot create the mountpoint ${mountpoint}: ${err.message.replace(/^[A-Z]+: /, '').replace(/, mkdir .*$/, '')}`, { cause: err });
    });
  }
  else if (existing.isSymbolicLink()) throw symlinkRefused(mountpoint);
  else if (!existing.isDirectory()) throw new GpioAggError('ENOTDIR', `${mountpoint} is not a directory`);
}

/** The refusal of a mountpoint that is a symbolic link. */
export function symlinkRefused(mountpoint: string): GpioAggError {
  return new GpioAggError('ELOOP', `refusing the mountpoint ${mountpoint}: it is a symbolic link, which gpio-aggfs never follows`
    + ' (whoever can change it could have it mount over another directory); give the real path');
}

/**
 * The pid in a mount's source is only a claim: anyone who may mount FUSE
 * (fusermount3) chooses the source and type of their own mounts. The process
 * is signalled only when it runs as the user the mount belongs to (which a
 * user can claim only for processes of their own).
 */
function checkServes(entry: MountEntry, pid: number, mountpoint: string): void {
  const owner = mountOwner(entry);
  let uid: number | undefined;
  try {
    uid = statSync(`/proc/${pid}`).uid;
  } catch {
    uid = undefined;
  }
  if (owner === undefined || uid !== owner) {
    throw new GpioAggError('EPERM', `refusing to stop pid ${pid}, which the mount at ${mountpoint} names as its server:`
      + ` it runs as uid ${uid ?? '?'}, but the mount belongs to uid ${owner ?? '?'}; unmount it with umount if it is stale`);
  }
}

/** Ask the instance serving `mountpoint` to stop, or clear a stale mount. */
export async function stopInstance(mountpoint: string, timeoutMs = 10000): Promise<void> {
  const mounts = (await mountsAt(mountpoint)).filter((entry) => entry.fsType === FS_TYPE);
  if (mounts.length === 0) throw new GpioAggError('EINVAL', `${mountpoint} is not a gpio-aggfs mount`);
  for (const entry of mounts) {
    const pid = servingPid(entry);
    if (pid === undefined || !isAlive(pid)) {
      await fuseUnmount(mountpoint);
      continue;
    }
    checkServes(entry, pid, mountpoint);
    try {
      process.kill(pid, 'SIGTERM');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPERM') {
        throw new GpioAggError('EPERM', `cannot stop gpio-aggfs (pid ${pid}) serving ${mountpoint}: it runs as another user (try as root)`);
      }
      throw new GpioAggError('EIO', `cannot stop gpio-aggfs (pid ${pid}) serving ${mountpoint}: ${(err as Error).message}`, { cause: err });
    }
    const deadline = Date.now() + timeoutMs;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (isAlive(pid)) throw new GpioAggError('ETIMEDOUT', `gpio-aggfs (pid ${pid}) did not stop within ${timeoutMs} ms`);
    if ((await mountsAt(mountpoint)).some((m) => m.fsType === FS_TYPE)) await fuseUnmount(mountpoint);
  }
}
