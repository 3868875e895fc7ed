import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { BACKEND, BIN, BOARD, newMountpoint, startDaemon } from '../helpers/daemon.js';
import { q, run, sh, type RunResult } from '../helpers/run.js';
import { testUsers } from '../helpers/users.js';
import { mountsAt } from '../../lib/fs/mount-table.js';
import { loadState } from '../../lib/state/state-file.js';

/*
 * Attacks on the state and config files by a non-root user (alice) while
 * root runs gpio-aggfs with --state in a directory alice can write to
 * (sticky, world-writable, like /tmp), or in one it must refuse. Alice must
 * never get root to write another file, read one for her, or take her
 * content as the policy.
 */

// Several daemons and a racing attacker take a while on a loaded machine.
t.setTimeout(600000);

const users = await testUsers();
const { alice } = users;
const base = await mkdtemp(join(tmpdir(), 'gpio-aggfs-security-state-'));
await chmod(base, 0o755);
t.teardown(() => rm(base, { recursive: true, force: true }));
const backend = BACKEND === 'sim' ? ['--sim', BOARD] : [];

/** A root-owned file alice would like root to overwrite, and one she would like to read. */
const victim = join(base, 'victim');
const secret = join(base, 'secret');
await writeFile(victim, 'precious\n', { mode: 0o644 });
await writeFile(secret, 'TOPSECRET-d41d8cd9\n', { mode: 0o600 });

async function untouched(t: Test): Promise<void> {
  t.equal(await readFile(victim, 'utf8'), 'precious\n', 'the victim file is untouched');
  t.equal(await readFile(secret, 'utf8'), 'TOPSECRET-d41d8cd9\n', 'the secret file is untouched');
  t.same([(await stat(victim)).mode & 0o7777, (await stat(secret)).mode & 0o7777], [0o644, 0o600]);
}

/** A fresh sticky world-writable directory, as /tmp is. */
let directories = 0;
async function sharedDirectory(): Promise<string> {
  directories += 1;
  const dir = join(base, `shared-${directories}`);
  await mkdir(dir);
  await chmod(dir, 0o1777);
  return dir;
}

async function asAlice(script: string, timeoutMs = 30000): Promise<RunResult> {
  return sh(script, { as: alice, timeoutMs });
}

async function mountRefused(t: Test, args: readonly string[], message: RegExp, errno: string): Promise<void> {
  const mountpoint = await newMountpoint();
  const result = await run([process.execPath, BIN, 'mount', mountpoint, ...backend, ...args], { timeoutMs: 60000 });
  t.equal(result.code, 1, 'the start is refused');
  t.match(result.stderr, message);
  t.match(result.stderr, new RegExp(`^gpio-aggfs: [^\\n]*\\(${errno}\\)\\n$`), `one line, ${errno}`);
  t.notMatch(result.stderr, /TOPSECRET|precious/, 'no byte of another file is printed');
  t.same(await mountsAt(mountpoint), [], 'nothing is mounted');
}

/** A state file that would give alice line 0 of gpio-agg.0. */
const alicesPolicy = JSON.stringify({
  version: 1,
  aggregators: [{ id: 0, spec: 'gpiochip0 0' }],
  permissions: { 'gpio-agg.0/line0': { mode: '0777', uid: alice.uid, gid: alice.gid } },
});

t.test('a symlink planted at the state path is refused; its target is neither read out nor written', async (t) => {
  const dir = await sharedDirectory();
  const state = join(dir, 'state.json');
  for (const target of [secret, victim]) {
    t.equal((await asAlice(`ln -sfn ${q(target)} ${q(state)}`)).code, 0);
    await mountRefused(t, ['--state', state],
      new RegExp(`${state}: refusing the state file: it is a symbolic link, which gpio-aggfs never follows`), 'ELOOP');
    t.equal(await readlink(state), target, 'the symlink is left as it is');
  }
  await untouched(t);
});

t.test('a symlink planted at the lock name is refused, its target untouched', async (t) => {
  const dir = await sharedDirectory();
  const state = join(dir, 'state.json');
  t.equal((await asAlice(`ln -s ${q(victim)} ${q(`${state}.lock`)}`)).code, 0);
  await mountRefused(t, ['--state', state], /state\.json\.lock: refusing the lock file: it is a symbolic link/, 'ELOOP');
  await untouched(t);
  t.same((await readdir(dir)).sort(), ['state.json.lock'], 'nothing else was created');
});

t.test('a state file or lock file pre-created by another user is refused, and not taken as the policy', async (t) => {
  const dir = await sharedDirectory();
  const state = join(dir, 'state.json');
  t.equal((await asAlice(`printf '%s' ${q(alicesPolicy)} > ${q(state)}`)).code, 0);
  await mountRefused(t, ['--state', state],
    new RegExp(`${state}: refusing the state file: it is owned by uid ${alice.uid}, not by root or by this process \\(uid 0\\)`), 'EACCES');
  t.equal(await readFile(state, 'utf8'), alicesPolicy, 'her file is left as it was');

  const other = join(dir, 'other.json');
  t.equal((await asAlice(`: > ${q(`${other}.lock`)}`)).code, 0);
  await mountRefused(t, ['--state', other], new RegExp(`other\\.json\\.lock: refusing the lock file: it is owned by uid ${alice.uid}`), 'EACCES');
});

t.test('a state file in a directory others can write without the sticky bit, or owned by another user, is refused saying why', async (t) => {
  const open = join(base, 'open');
  await mkdir(open);
  await chmod(open, 0o777);
  await mountRefused(t, ['--state', join(open, 'state.json')],
    /open\/state\.json: refusing the state file: .*open \(mode 0777\) is writable by other users and has no sticky bit, so anyone could replace the state file; use a directory only root can write/,
    'EACCES');
  t.same(await readdir(open), [], 'nothing was written there');

  const alices = join(base, 'alices');
  await mkdir(alices, { mode: 0o755 });
  await chown(alices, alice.uid, alice.gid);
  await mountRefused(t, ['--state', join(alices, 'state.json')],
    new RegExp(`refusing the state file: .*alices is owned by uid ${alice.uid}, not by root or by this process \\(uid 0\\), so that user could replace the state file`),
    'EACCES');
});

t.test('a symlink of another user on the way to the state file is refused; nothing is written where it points', async (t) => {
  const dir = await sharedDirectory();
  // A directory only root can write, which alice would like root's state to land in.
  const target = join(base, `target-${directories}`);
  await mkdir(target, { mode: 0o755 });
  t.equal((await asAlice(`ln -s ${q(target)} ${q(join(dir, 'gpio'))}`)).code, 0);
  const state = join(dir, 'gpio', 'state.json');
  await mountRefused(t, ['--state', state],
    new RegExp(`${state}: refusing the state file: ${join(dir, 'gpio')} is a symbolic link of uid ${alice.uid}, not of root or of this process \\(uid 0\\), so that user could point it anywhere`),
    'EACCES');
  t.same(await readdir(target), [], 'no state or lock file was made where it points');
  await untouched(t);
});

t.test('a damaged state file of root\'s: the error gives the position, never the content', async (t) => {
  const dir = await sharedDirectory();
  const state = join(dir, 'state.json');
  await writeFile(state, '{"version": 1,\n "aggregators": TOPSECRET-d41d8cd9,\n "permissions": {}}\n', { mode: 0o600 });
  await mountRefused(t, ['--state', state],
    /state\.json: the state file is not valid JSON: at line 2, column 17 \(byte 31\): expected a value/, 'EINVAL');
});

t.test('symlinks planted at the old temporary name and at temporary-looking names are never written through', async (t) => {
  const dir = await sharedDirectory();
  const state = join(dir, 'state.json');
  // The name the first version wrote through, and a hundred names of the form the daemon uses now.
  const planted = await asAlice([
    `ln -s ${q(victim)} ${q(join(dir, '.state.json.tmp'))}`,
    `for i in $(seq 1 100); do ln -s ${q(victim)} ${q(dir)}/.state.json.$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \\n').tmp; done`,
    `printf '%s' ${q(alicesPolicy)} > ${q(join(dir, '.state.json.0123456789abcdef.tmp'))}`,
  ].join(' && '));
  t.equal(planted.code, 0, planted.stderr);
  const before = (await readdir(dir)).sort();
  t.equal(before.length, 102);

  const daemon = await startDaemon({ args: ['--state', state] });
  t.teardown(() => daemon.stop());
  const changes = await sh([
    `echo 'gpiochip0 0-1' > ${q(daemon.path('agg', 'new_device'))}`,
    `for i in $(seq 1 30); do chmod 07$(( i % 8 ))0 ${q(daemon.path('gpio-agg.0', 'line0'))} || exit 1; done`,
    `chmod 0700 ${q(daemon.path('gpio-agg.0', 'line0'))}`,
  ].join(' && '));
  t.equal(changes.code, 0, changes.stderr);
  await untouched(t);
  t.same((await readdir(dir)).filter((name) => name !== 'state.json' && name !== 'state.json.lock').sort(), before,
    'every planted name is still there');
  t.equal(await readlink(join(dir, '.state.json.tmp')), victim, 'and still a symlink to the victim');
  t.equal(await readFile(join(dir, '.state.json.0123456789abcdef.tmp'), 'utf8'), alicesPolicy, 'her regular file is untouched');
  const info = await lstat(state);
  t.same([info.isFile(), info.mode & 0o7777, info.uid, info.nlink], [true, 0o600, 0, 1], 'the state file is root\'s, 0600, one name');
  t.same(loadState(state).permissions.get('gpio-agg.0/line0'), { mode: 0o700, uid: 0, gid: 0 }, 'and holds root\'s policy');
});

t.test('a user re-creating, replacing and linking temporary names in a loop during changes gets nowhere', async (t) => {
  const dir = await sharedDirectory();
  const state = join(dir, 'state.json');
  const daemon = await startDaemon({ args: ['--state', state] });
  t.teardown(() => daemon.stop());
  const setup = await sh(`echo 'gpiochip0 0-1' > ${q(daemon.path('agg', 'new_device'))}`);
  t.equal(setup.code, 0, setup.stderr);

  // Alice: every name she sees in the directory, she tries to replace by a symlink to the victim or by a
  // file of hers, to hard-link into a name of hers, to read; she plants temporary-looking names; until
  // root is done. (Her attempts succeed only on names that have just become free or are hers.)
  const stop = join(base, `stop-${directories}`);
  const attacker = asAlice([
    `cd ${q(dir)} || exit 1`,
    `mine=/tmp/.gpio-aggfs-alice-$$`,
    `while [ ! -e ${q(stop)} ]; do`,
    `  for f in .state.json.* state.json; do`,
    `    [ -e "$f" ] || continue`,
    `    ln -sfn ${q(victim)} "$f" 2>/dev/null`,
    `    printf '%s' ${q(alicesPolicy)} > "$mine"; mv -f "$mine" "$f" 2>/dev/null`,
    `    printf '%s' ${q(alicesPolicy)} 2>/dev/null > "$f"`,
    `    ln "$f" "mine-$RANDOM" 2>/dev/null`,
    `    cat "$f" >/dev/null 2>&1`,
    `  done`,
    `  ln -s ${q(victim)} .state.json.$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n').tmp 2>/dev/null`,
    `done`,
    `rm -f "$mine"`,
  ].join('\n'), 300000);

  const changes = await sh([
    `for i in $(seq 1 150); do`,
    `  chown $(( 3000 + i )) ${q(daemon.path('gpio-agg.0', 'line1'))} || exit 1`,
    `  if [ $(( i % 25 )) = 0 ]; then echo 'gpiochip0 5' > ${q(daemon.path('agg', 'new_device'))} && echo gpio-agg.1 > ${q(daemon.path('agg', 'delete_device'))} || exit 1; fi`,
    `done`,
  ].join('\n'), { timeoutMs: 300000 });
  await writeFile(stop, '');
  const attack = await attacker;
  t.equal(changes.code, 0, `every change of root's succeeded: ${changes.stderr}`);
  t.equal(attack.code, 0, attack.stderr);
  await untouched(t);
  const names = (await readdir(dir)).filter((name) => name !== 'state.json' && name !== 'state.json.lock');
  const roots = [];
  for (const name of names) if ((await lstat(join(dir, name))).uid !== alice.uid) roots.push(name);
  t.same(roots, [], 'every other name there is hers: she never linked or kept a file of root\'s, and no temporary file is left');
  t.ok(names.length > 0, 'she did plant names');
  const info = await lstat(state);
  t.same([info.isFile(), info.mode & 0o7777, info.uid, info.nlink], [true, 0o600, 0, 1]);
  t.equal(await daemon.stop(), 0);

  const again = await startDaemon({ args: ['--state', state], mountpoint: daemon.mountpoint });
  t.teardown(() => again.stop());
  t.equal(await readFile(again.path('agg', 'devices'), 'utf8'), 'gpio-agg.0 gpiochip0 0-1\n', 'the policy is root\'s');
  const line1 = await stat(again.path('gpio-agg.0', 'line1'));
  t.same([line1.uid, line1.mode & 0o7777], [3150, 0o755]);
  const line0 = await stat(again.path('gpio-agg.0', 'line0'));
  t.same([line0.uid, line0.mode & 0o7777], [0, 0o755], 'alice was given nothing');
});

t.test('a config file another user can change is refused; a symlinked one is never printed', async (t) => {
  const config = join(base, 'config.json');
  await writeFile(config, JSON.stringify({ aggregators: [{ spec: 'gpiochip0 0', owner: alice.uid }] }), { mode: 0o644 });
  await chown(config, alice.uid, alice.gid);
  await mountRefused(t, ['--config', config],
    new RegExp(`config\\.json: refusing the config file: it is owned by uid ${alice.uid}, not by root or by this process`), 'EACCES');
  await chown(config, 0, 0);
  await chmod(config, 0o666);
  await mountRefused(t, ['--config', config], /config\.json: refusing the config file: its mode 0666 lets other users write it/, 'EACCES');

  const open = join(base, 'config-open');
  await mkdir(open);
  await chmod(open, 0o777);
  await writeFile(join(open, 'config.json'), '{}', { mode: 0o644 });
  await mountRefused(t, ['--config', join(open, 'config.json')],
    /refusing the config file: .*config-open \(mode 0777\) is writable by other users and has no sticky bit/, 'EACCES');

  const link = join(base, 'config-link.json');
  const made = await sh(`ln -s ${q(secret)} ${q(link)}`);
  t.equal(made.code, 0, made.stderr);
  await mountRefused(t, ['--config', link],
    /config-link\.json: the config file is not valid JSON: at line 1, column 1 \(byte 0\): expected a value/, 'EINVAL');
  await untouched(t);
});
