import { readFile } from 'node:fs/promises';

/** The filesystem type gpio-aggfs mounts show in /proc/self/mountinfo. */
export const FS_TYPE = 'fuse.gpio-aggfs';
/** The mount source carries the serving process id: `gpio-aggfs:<pid>`. */
export const SOURCE_PREFIX = 'gpio-aggfs:';

export interface MountEntry {
  readonly mountpoint: string;
  readonly fsType: string;
  readonly source: string;
  /** The superblock options, e.g. "rw,user_id=0,group_id=0,default_permissions,allow_other". */
  readonly superOptions?: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const separator = line.indexOf(' - ');
    if (separator < 0) continue;
    const before = line.slice(0, separator).split(' ');
    const after = line.slice(separator + 3).split(' ');
    const mountpoint = before[4];
    const fsType = after[0];
    const source = after[1];
    if (mountpoint === undefined || fsType === undefined || source === undefined) continue;
    entries.push({ mountpoint: unescape(mountpoint), fsType, source: unescape(source), superOptions: after[2] ?? '' });
  }
  return entries;
}

export async function mountsAt(mountpoint: string): Promise<MountEntry[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return parseMountInfo(text).filter((entry) => entry.mountpoint === mountpoint);
}

/** The pid serving a gpio-aggfs mount, from its source field; undefined if not ours. */
export function servingPid(entry: MountEntry): number | undefined {
  if (entry.fsType !== FS_TYPE || !entry.source.startsWith(SOURCE_PREFIX)) return undefined;
  const pid = Number(entry.source.slice(SOURCE_PREFIX.length));
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * The user a FUSE mount belongs to (its user_id= option): the one who mounted
 * it, whoever its source names. Undefined when the options do not say.
 */
export function mountOwner(entry: MountEntry): number | undefined {
  const match = /(?:^|,)user_id=(\d+)(?:,|$)/.exec(entry.superOptions ?? '');
  return match === null ? undefined : Number(match[1]);
}
