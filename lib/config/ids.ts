import { readFileSync } from 'node:fs';
import { fromSystemError } from '../errors.js';

/** Where user and group names are looked up (injectable for tests). */
export interface IdFiles {
  readonly passwd: string;
  readonly group: string;
}

export const SYSTEM_ID_FILES: IdFiles = { passwd: '/etc/passwd', group: '/etc/group' };

/**
 * User and group names from passwd(5)/group(5) files: `name:password:id:…`.
 * Names from NSS sources other than these files (LDAP, systemd-homed) are
 * not seen; numbers always work.
 */
export class IdNames {
  private users: Map<string, number> | undefined;
  private groups: Map<string, number> | undefined;

  constructor(private readonly files: IdFiles = SYSTEM_ID_FILES) {}

  /** A uid for a name or number, or undefined for an unknown name. */
  user(value: string | number): number | undefined {
    this.users ??= readIds(this.files.passwd);
    return numeric(value) ?? this.users.get(String(value));
  }

  group(value: string | number): number | undefined {
    this.groups ??= readIds(this.files.group);
    return numeric(value) ?? this.groups.get(String(value));
  }

  get passwdFile(): string { return this.files.passwd; }
  get groupFile(): string { return this.files.group; }
}

function numeric(value: string | number): number | undefined {
  if (typeof value === 'number') return value;
  return /^(0|[1-9][0-9]{0,9})$/.test(value) ? Number(value) : undefined;
}

function readIds(file: string): Map<string, number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw fromSystemError(err, `cannot read ${file}`);
  }
  const ids = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name === undefined || name === '' || name.startsWith('#') || id === undefined || !/^[0-9]+$/.test(id)) continue;
    if (!ids.has(name)) ids.set(name, Number(id));
  }
  return ids;
}
