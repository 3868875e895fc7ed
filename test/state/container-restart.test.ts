import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startDaemon } from '../helpers/daemon.js';
import { q, run, sh } from '../helpers/run.js';

/*
 * A container holding one aggregator by bind mount, across a daemon restart
 * (SIGTERM, start again with the same state file). A bind of the aggregator
 * itself goes stale for good ("Transport endpoint is not connected"): it
 * holds the old FUSE connection. The README's recipe binds the aggregator
 * one level down inside a shared "export" mount, and the container takes the
 * export directory with slave propagation; re-doing the bind on the host
 * after the restart then reaches the running container.
 *
 * The container is a process in its own mount namespace whose mounts are
 * slaves of the host's (what `docker run -v …:rslave` sets up); checks run
 * inside it with nsenter.
 */

const base = await mkdtemp(join(tmpdir(), 'gpio-aggfs-container-restart-'));
const state = join(base, 'state.json');
const exportDir = join(base, 'export');
const exportSlot = join(exportDir, 'gpio-agg.0', 'gpio-agg.0');
const recipeTarget = join(base, 'ctr-recipe');
const naiveTarget = join(base, 'ctr-naive');

async function host(script: string): Promise<void> {
  const result = await sh(script);
  if (result.code !== 0) throw new Error(`${script}: ${result.stderr}`);
}

const first = await startDaemon({ args: ['--state', state] });
let current = first;
await host(`echo 'gpiochip0 6' > ${q(first.path('agg', 'new_device'))} && echo out > ${q(first.path('gpio-agg.0', 'line0', 'direction'))}`);
await mkdir(exportSlot, { recursive: true });
await mkdir(recipeTarget);
await mkdir(naiveTarget);

// Recipe, once per boot: the export directory is a shared mount.
await host(`mount --bind ${q(exportDir)} ${q(exportDir)} && mount --make-shared ${q(exportDir)}`);
// Recipe, after each start of the daemon: bind the aggregator into its slot.
await host(`mount --bind ${q(first.path('gpio-agg.0'))} ${q(exportSlot)}`);

const container = spawn('unshare', ['-m', '--propagation', 'slave', 'sh', '-c', [
  `mount --rbind ${q(join(exportDir, 'gpio-agg.0'))} ${q(recipeTarget)}`,
  `mount --bind ${q(first.path('gpio-agg.0'))} ${q(naiveTarget)}`,
  'echo ready',
  'exec sleep 600',
].join(' && ')], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((ready, fail) => {
  container.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('ready')) ready(); });
  container.on('exit', (code) => fail(new Error(`the container exited (${code})`)));
});

t.teardown(async () => {
  container.kill('SIGKILL');
  await run(['umount', '-l', exportSlot]);
  await run(['umount', '-l', exportDir]);
  await current.stop();
  await rm(base, { recursive: true, force: true });
});

/** `cat` inside the container: the text, or the error message. */
async function inContainer(path: string): Promise<string> {
  const result = await run(['nsenter', '-t', String(container.pid), '-m', '-r', '--', 'cat', path]);
  return result.code === 0 ? result.stdout : result.stderr;
}

const recipeFile = join(recipeTarget, 'gpio-agg.0', 'line0', 'direction');
const naiveFile = join(naiveTarget, 'line0', 'direction');

t.test('before the restart both binds work, and only the one aggregator is visible', async (t) => {
  t.equal(await inContainer(recipeFile), 'out\n');
  t.equal(await inContainer(naiveFile), 'out\n');
  const listing = await run(['nsenter', '-t', String(container.pid), '-m', '-r', '--', 'ls', recipeTarget]);
  t.equal(listing.stdout, 'gpio-agg.0\n');
});

t.test('after the restart the container sees a stale mount', async (t) => {
  t.equal(await first.stop('SIGTERM'), 0);
  current = await startDaemon({ args: ['--state', state], mountpoint: first.mountpoint });
  t.match(await run(['cat', current.path('gpio-agg.0', 'spec')]), { stdout: 'gpiochip0 6\n' }, 'restored on the host');
  t.match(await inContainer(naiveFile), /Transport endpoint is not connected/);
  t.match(await inContainer(recipeFile), /Transport endpoint is not connected/);
});

t.test('re-doing the bind on the host reaches the running container', async (t) => {
  await host(`umount -l ${q(exportSlot)} && mount --bind ${q(current.path('gpio-agg.0'))} ${q(exportSlot)}`);
  t.equal(await inContainer(join(recipeTarget, 'gpio-agg.0', 'spec')), 'gpiochip0 6\n', 'the recipe path works again');
  await host(`echo high > ${q(current.path('gpio-agg.0', 'line0', 'direction'))}`);
  t.equal(await inContainer(recipeFile), 'out\n', 'and shows the new instance');
  t.equal(await inContainer(join(recipeTarget, 'gpio-agg.0', 'line0', 'value')), '1\n');
  t.match(await inContainer(naiveFile), /Transport endpoint is not connected/, 'a plain bind stays stale until the container restarts');
});

