import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Identity } from './run.js';
import { run } from './run.js';

export interface TestUser extends Identity {
  /** Login name when the user exists in /etc/passwd, else the numeric uid. */
  readonly name: string;
  readonly groups: readonly number[];
}

export interface TestGroup {
  readonly gid: number;
  /** Group name when it exists in /etc/group, else the numeric gid. */
  readonly name: string;
}

export interface TestUsers {
  /** A member of `group` (as a supplementary group). */
  readonly alice: TestUser;
  /** Not a member of `group`. */
  readonly bob: TestUser;
  readonly group: TestGroup;
  /** True when the users were created with useradd, false for bare numeric ids. */
  readonly registered: boolean;
}

const GROUP = 'gaggfs-gpio';
const ALICE = 'gaggfs-alice';
const BOB = 'gaggfs-bob';

/**
 * Ids used where /etc cannot be written (the VM mounts the host root
 * read-only): the kernel and setpriv need no passwd entry for them.
 */
const NUMERIC = { alice: 61001, bob: 61002, group: 61100 } as const;

async function etcWritable(): Promise<boolean> {
  if (process.env.GPIO_AGGFS_VM === '1') return false;
  return access('/etc/passwd', constants.W_OK).then(() => true, () => false);
}

async function idOf(kind: 'user' | 'group', name: string): Promise<number | undefined> {
  const result = await run(['getent', kind === 'user' ? 'passwd' : 'group', name]);
  if (result.code !== 0) return undefined;
  const id = Number(result.stdout.split(':')[2]);
  return Number.isInteger(id) ? id : undefined;
}

/** Create the group or user unless it exists; tolerate another test file creating it at the same moment. */
async function ensure(kind: 'user' | 'group', name: string, argv: readonly string[]): Promise<number> {
  const existing = await idOf(kind, name);
  if (existing !== undefined) return existing;
  const created = await run(argv);
  const id = await idOf(kind, name);
  if (id === undefined) throw new Error(`cannot create ${kind} ${name}: ${created.stderr.trim()}`);
  return id;
}

/**
 * Two non-root users and a group: `alice` belongs to `group`, `bob` does
 * not. Real accounts where /etc is writable (host), bare numeric ids where
 * it is not (inside the VM). Idempotent: the accounts are kept for reuse.
 */
export async function testUsers(): Promise<TestUsers> {
  if (!(await etcWritable())) {
    return {
      alice: { name: String(NUMERIC.alice), uid: NUMERIC.alice, gid: NUMERIC.alice, groups: [NUMERIC.group] },
      bob: { name: String(NUMERIC.bob), uid: NUMERIC.bob, gid: NUMERIC.bob, groups: [] },
      group: { name: String(NUMERIC.group), gid: NUMERIC.group },
      registered: false,
    };
  }
  const gid = await ensure('group', GROUP, ['groupadd', GROUP]);
  const user = async (name: string, groups: readonly string[]): Promise<TestUser> => {
    const uid = await ensure('user', name, [
      'useradd', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin',
      ...(groups.length > 0 ? ['--groups', groups.join(',')] : []), name,
    ]);
    const primary = Number((await run(['id', '-g', name])).stdout.trim());
    const supplementary = (await run(['id', '-G', name])).stdout.trim().split(/\s+/).map(Number).filter((g) => g !== primary);
    return { name, uid, gid: primary, groups: supplementary };
  };
  const alice = await user(ALICE, [GROUP]);
  const bob = await user(BOB, []);
  if (!alice.groups.includes(gid)) throw new Error(`${ALICE} exists but is not in ${GROUP}`);
  if (bob.groups.includes(gid)) throw new Error(`${BOB} exists but is in ${GROUP}`);
  return { alice, bob, group: { name: GROUP, gid }, registered: true };
}
