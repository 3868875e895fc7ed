import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startDaemon, stopOrKill } from '../helpers/daemon.js';
import { errnoFromMessage } from '../helpers/errno.js';
import { q, run, sh } from '../helpers/run.js';
import { CAN } from '../helpers/transports.js';
import { MAX_HANDLES_PER_USER } from '../../lib/fuse/handle-quota.js';
import { testUsers } from '../helpers/users.js';

/*
 * A live mount attacked by a user given nothing (bob: not the owner of
 * anything, not in any group the mount names): every file and directory he
 * can reach, every change he can try, and the resource he can make the
 * daemon hold (open `events` files).
 */

t.setTimeout(600000);

const { alice, bob } = await testUsers();
const daemon = await startDaemon();
t.teardown(() => stopOrKill(daemon));
const mnt = daemon.mountpoint;
await writeFile(daemon.path('agg', 'new_device'), 'gpiochip0 4-5\n');
await writeFile(daemon.path('gpio-agg.0', 'line0', 'edge'), 'both');

/** What root sees of the whole tree: names, modes, owners and every attribute's text. */
async function snapshot(): Promise<string> {
  const listing = await sh(`cd ${q(mnt)} && ls -lRan --time-style=+ . | grep -v '^total'`);
  const values = await sh(`cd ${q(mnt)} && find . -type f ! -name events ! -path './agg/*_device' -print0 | sort -z | xargs -0 grep -H '' 2>&1`);
  return `${listing.stdout}\n${values.stdout}`;
}

/** One attempt by bob: operation, path, the errno it failed with ('' when it worked). */
interface Attempt {
  readonly op: string;
  readonly path: string;
  readonly errno: string;
}

/**
 * Bob's walk: every path `find` reaches as bob, and on each every change a
 * user might try. Printed as "op<TAB>path<TAB>rc<TAB>message" lines.
 */
const WALK = `
cd "$1" || exit 9
try() { op=$1; path=$2; shift 2; out=$("$@" 2>&1 >/dev/null); printf '%s\\t%s\\t%s\\t%s\\n' "$op" "$path" "$?" "$(printf %s "$out" | tr '\\n\\t' '  ')"; }
find . -mindepth 1 2>/dev/null | sort | while read -r p; do
  if [ -L "$p" ]; then
    # A link itself: its target is another entry of the walk.
    try chown "$p" chown -h "${bob.uid}" "$p"
  else
    try read "$p" dd if="$p" of=/dev/null bs=64 count=1 iflag=nonblock status=none
    try write "$p" sh -c 'printf 1 >> "$1"' sh "$p"
    try truncate "$p" truncate -s 0 "$p"
    try chmod "$p" chmod 0777 "$p"
    try chown "$p" chown "${bob.uid}" "$p"
  fi
  try symlink "$p" ln -s /etc/shadow "$p.link"
  try rename "$p" mv "$p" "$p.moved"
  try mkdir "$p" mkdir "$p.dir"
  if [ -d "$p" ] && [ ! -L "$p" ]; then try unlink "$p" rmdir "$p"; else try unlink "$p" rm -f "$p"; fi
done
`;

t.test('every path a user given nothing reaches: each change refused with its errno, nothing changed', async (t) => {
  const before = await snapshot();
  const result = await run(['bash', '-c', WALK, 'walk', mnt], { as: bob, timeoutMs: 300000 });
  t.equal(result.code, 0, result.stderr);
  const attempts: Attempt[] = result.stdout.split('\n').filter((l) => l !== '').map((line) => {
    const [op = '', path = '', rc = '', message = ''] = line.split('\t');
    return { op, path, errno: rc === '0' ? '' : errnoFromMessage(message) ?? `unknown: ${message}` };
  });
  const paths = new Set(attempts.map((a) => a.path));
  t.ok(paths.has('./gpio-agg.0/line0/value') && paths.has('./agg/new_device') && paths.has('./gpio-agg.0/line0/events'),
    `the walk reached the aggregator and the control files (${paths.size} paths)`);
  t.notOk([...paths].some((p) => p.startsWith('./.sim/')), '.sim (0700) cannot be entered');

  const modes = new Map<string, number>();
  const stats = await sh(`cd ${q(mnt)} && find . -mindepth 1 -printf '%p %m\\n'`);
  for (const line of stats.stdout.split('\n').filter(Boolean)) {
    const at = line.lastIndexOf(' ');
    modes.set(line.slice(0, at), Number.parseInt(line.slice(at + 1), 8));
  }
  const dirs = new Set((await sh(`cd ${q(mnt)} && find . -mindepth 1 -type d`)).stdout.split('\n').filter(Boolean));
  const unexpected: string[] = [];
  for (const { op, path, errno } of attempts) {
    const mode = modes.get(path) ?? 0;
    const isDir = dirs.has(path);
    let expected: string;
    if (op === 'read') {
      if ((mode & 0o004) === 0) expected = 'EACCES';
      else if (isDir) expected = 'EISDIR';
      else if (path.endsWith('/events')) expected = 'EAGAIN';
      // As in sysfs: runtime PM's autosuspend delay reads EIO while autosuspend is off.
      else if (path.endsWith('/power/autosuspend_delay_ms')) expected = 'EIO';
      else expected = '';
    } else if (op === 'chmod' || op === 'chown') {
      expected = 'EPERM';
    } else if (op === 'write' || op === 'truncate') {
      expected = isDir ? 'EISDIR' : 'EACCES';
    } else {
      // Creating, renaming or removing an entry needs write permission on its directory: none is bob's.
      expected = 'EACCES';
    }
    if (errno !== expected) unexpected.push(`${op} ${path}: ${errno || 'succeeded'} (expected ${expected || 'success'})`);
  }
  t.same(unexpected, [], `${attempts.length} attempts, each answered as expected`);
  t.equal(await snapshot(), before, 'nothing changed: names, modes, owners and values');
});

t.test('paths root writes: none of them a user can plant or redirect in the mount', async (t) => {
  // Outside the mount root writes the state file, its temporaries and its lock file (attacked in
  // test/security/state-file.test.ts) and creates and mounts on the mountpoint
  // (test/security/mountpoint.test.ts); it reads the config file and writes no other file.
  // Inside the mount nothing is written but through requests. Here: a planted link name is refused.
  const planted = await run(['ln', '-s', '/etc/shadow', daemon.path('agg', 'last_error.tmp')], { as: bob });
  t.equal(planted.errno, 'EACCES', 'bob cannot add names to agg/');
  const rootTry = await run(['ln', '-s', '/etc/shadow', daemon.path('agg', 'x')]);
  t.equal(rootTry.errno, 'EPERM', 'nor can root: entries are fixed');
});

/** Daemon RSS in kB. */
async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
}

const READERS = 1000;
const EDGES = 2000;

t.test(`${READERS} idle non-blocking events readers of a user given nothing, ${EDGES} edges: daemon memory stays bounded`, async (t) => {
  const pid = daemon.process.pid as number;
  const events = daemon.path('gpio-agg.0', 'line0', 'events');
  // Opens READERS fds O_NONBLOCK and never reads; exits when stdin closes.
  const holder = `
    const fs = require('node:fs');
    const fds = [];
    for (let i = 0; i < ${READERS}; i++) fds.push(fs.openSync(process.argv[1], fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
    process.stdout.write('open ' + fds.length + '\\n');
    process.stdin.on('data', () => {}); process.stdin.on('end', () => process.exit(0));
  `;
  const before = await rssKb(pid);
  const { spawn } = await import('node:child_process');
  const child = spawn('setpriv', ['--reuid', String(bob.uid), '--regid', String(bob.gid), '--clear-groups', '--',
    process.execPath, '-e', holder, events], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const opened = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); if (out.includes('\n')) resolve(out.trim()); });
    child.on('exit', () => resolve(`exited: ${stderr}`));
  });
  t.equal(opened, `open ${READERS}`, 'bob holds the readers open');
  const open = await rssKb(pid);
  for (let i = 0; i < EDGES; i += 1) await daemon.lines.pull('gpiochip0', 4, i % 2 === 0 ? 'pull-up' : 'pull-down');
  // Every edge has been handled once a reader of ours sees the last of them.
  const after = await rssKb(pid);
  const growthMb = (after - before) / 1024;
  t.comment(`daemon RSS: ${Math.round(before / 1024)} MB before, ${Math.round(open / 1024)} MB with ${READERS} readers open,`
    + ` ${Math.round(after / 1024)} MB after ${EDGES} edges: +${growthMb.toFixed(1)} MB`);
  // The bound SPEC sets for 3000 readers × 3000 edges (see npm run bench -- --idle-readers-only).
  t.ok(growthMb < 50, `RSS growth ${growthMb.toFixed(1)} MB < 50 MB`);
  child.stdin.end();
  await new Promise((resolve) => child.on('exit', resolve));
  t.equal((await readFile(daemon.path('agg', 'devices'), 'utf8')), 'gpio-agg.0 gpiochip0 4-5\n', 'the daemon serves on');
});

/** The daemon's thread count. */
async function threads(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
}

const BLOCKED = 1000;

t.test(`${BLOCKED} blocked events reads of a user given nothing: memory bounded, others served${CAN.threadlessWaits ? ', no thread held for any' : ''}`, async (t) => {
  const pid = daemon.process.pid as number;
  const events = daemon.path('gpio-agg.0', 'line0', 'events');
  const out = await mkdtemp(join(tmpdir(), 'gpio-aggfs-blocked-'));
  t.teardown(() => rm(out, { recursive: true, force: true }));
  await chown(out, bob.uid, bob.gid);
  const [threadsBefore, rssBefore] = [await threads(pid), await rssKb(pid)];
  // Bob: BLOCKED cats of one events file, each blocked in read until killed.
  const { spawn } = await import('node:child_process');
  const holder = spawn('setpriv', ['--reuid', String(bob.uid), '--regid', String(bob.gid), '--clear-groups', '--',
    'bash', '-c', `for i in $(seq 1 ${BLOCKED}); do cat ${q(events)} > ${q(out)}/$i & done; wait`],
  { stdio: 'ignore', detached: true });
  const killAll = (): void => { try { process.kill(-(holder.pid as number), 'SIGKILL'); } catch { /* gone */ } };
  t.teardown(killAll);
  // Every cat has been served an event once each output file has a line: all BLOCKED reads were
  // waiting in the daemon at once. Edges until then (a cat opened after an edge waits for the next).
  const served = async (): Promise<number> => {
    let count = 0;
    for (let i = 1; i <= BLOCKED; i += 1) if (await readFile(join(out, String(i)), 'utf8').then((text) => text !== '', () => false)) count += 1;
    return count;
  };
  let edges = 0;
  const deadline = Date.now() + 240000;
  while (await served() < BLOCKED && Date.now() < deadline) {
    await daemon.lines.pull('gpiochip0', 4, edges % 2 === 0 ? 'pull-up' : 'pull-down');
    edges += 1;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  t.equal(await served(), BLOCKED, `every one of the ${BLOCKED} blocked readers was served an event (${edges} edges)`);
  // They are all blocked again, waiting for the next edge.
  const [threadsDuring, rssDuring] = [await threads(pid), await rssKb(pid)];
  const started = process.hrtime.bigint();
  t.equal(await readFile(daemon.path('gpio-agg.0', 'line1', 'value'), 'utf8'), '0\n', 'another client is served meanwhile');
  const readMs = Number(process.hrtime.bigint() - started) / 1e6;
  const growthMb = (rssDuring - rssBefore) / 1024;
  t.comment(`${BLOCKED} blocked reads: daemon threads ${threadsBefore} → ${threadsDuring}, RSS +${growthMb.toFixed(1)} MB,`
    + ` another client's read ${readMs.toFixed(1)} ms`);
  if (CAN.threadlessWaits) {
    t.ok(threadsDuring - threadsBefore <= 8, `threads ${threadsBefore} → ${threadsDuring}: none per blocked read`);
  }
  t.ok(growthMb < 50, `RSS growth ${growthMb.toFixed(1)} MB < 50 MB`);
  killAll();
  await new Promise((resolve) => { if (holder.exitCode !== null || holder.signalCode !== null) resolve(undefined); else holder.on('exit', resolve); });
  t.equal(await readFile(daemon.path('agg', 'devices'), 'utf8'), 'gpio-agg.0 gpiochip0 4-5\n', 'the daemon serves on once they are gone');
});

t.test(`a user given nothing holds at most ${MAX_HANDLES_PER_USER} open files and directories of the mount (EMFILE); others open on`, async (t) => {
  const pid = daemon.process.pid as number;
  const [file, directory] = [daemon.path('gpio-agg.0', 'line1', 'value'), daemon.path('gpio-agg.0', 'line1')];
  // Opens the value file and its directory in turn until refused, prints the count and the errno,
  // holds them until stdin closes. Its own limit is raised above the quota, so the quota is what stops it.
  const holder = `
    const fs = require('node:fs');
    const fds = [];
    let error = 'none';
    for (let i = 0; i < ${MAX_HANDLES_PER_USER + 100}; i++) {
      try { fds.push(fs.openSync(i % 2 === 0 ? process.argv[1] : process.argv[2], 'r')); } catch (err) { error = err.code; break; }
    }
    process.stdout.write(fds.length + ' ' + error + '\\n');
    process.stdin.on('data', () => {}); process.stdin.on('end', () => process.exit(0));
  `;
  const before = await rssKb(pid);
  const { spawn } = await import('node:child_process');
  const child = spawn('prlimit', [`--nofile=${MAX_HANDLES_PER_USER + 1000}`, '--', 'setpriv', '--reuid', String(bob.uid), '--regid', String(bob.gid),
    '--clear-groups', '--', process.execPath, '-e', holder, file, directory], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const result = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); if (out.includes('\n')) resolve(out.trim()); });
    child.on('exit', () => resolve(`exited: ${stderr}`));
  });
  t.equal(result, `${MAX_HANDLES_PER_USER} EMFILE`, 'refused with EMFILE once he holds as many as a user may');
  const growthMb = ((await rssKb(pid)) - before) / 1024;
  t.comment(`${MAX_HANDLES_PER_USER} open files and directories of one user: daemon RSS +${growthMb.toFixed(1)} MB`);
  t.ok(growthMb < 100, `RSS growth ${growthMb.toFixed(1)} MB < 100 MB`);
  const bobAgain = await run(['cat', file], { as: bob });
  t.equal(bobAgain.errno, 'EMFILE', 'another process of his is refused too');
  t.equal((await run(['cat', file], { as: alice })).stdout, '0\n', 'another user opens on');
  t.equal(await readFile(file, 'utf8'), '0\n', 'and so does root');
  child.stdin.end();
  await new Promise((resolve) => child.on('exit', resolve));
  // The kernel sends the releases after the process is gone: his next open works once they are in.
  let again = await run(['cat', file], { as: bob });
  for (let attempt = 0; attempt < 50 && again.code !== 0; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    again = await run(['cat', file], { as: bob });
  }
  t.equal(again.stdout, '0\n', 'once his files are closed, he opens again');
});
