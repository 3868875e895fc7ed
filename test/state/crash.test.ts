import { chmod, chown, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { loadState, type SavedState } from '../../lib/state/state-file.js';

/*
 * kill -9 in the middle of a burst of rapid changes, 20 times: each time the
 * state file parses and holds every change acknowledged before the kill
 * (the one change in flight at the kill may or may not be there), and the
 * next start serves exactly what the file holds. The changes are chowns of
 * eight line directories, chmods of the mount root, and creating/deleting an
 * aggregator, each with a value that tells it apart from every other.
 */

const ROUNDS = 20;
const PLANNED = 1000;
const LINES = 8;

/** What the changes have set: the part of the state these tests change. */
interface Policy {
  readonly lineOwners: readonly number[];
  readonly rootMode: number;
  readonly second: boolean;
}

type Change = (policy: Policy) => { apply: (daemon: Daemon) => Promise<unknown>; result: Policy };

/** Change number `i`: a chown, a chmod or a creation/deletion, each with values no other change uses. */
function change(i: number): Change {
  const kind = i % 10;
  if (kind < LINES) {
    return (policy) => ({
      apply: (daemon) => chown(daemon.path('gpio-agg.0', `line${kind}`), 10000 + i, 10000 + i),
      result: { ...policy, lineOwners: policy.lineOwners.map((uid, line) => (line === kind ? 10000 + i : uid)) },
    });
  }
  if (kind === 8) {
    const mode = 0o700 | (i % 0o100);
    return (policy) => ({ apply: (daemon) => chmod(daemon.mountpoint, mode), result: { ...policy, rootMode: mode } });
  }
  return (policy) => ({
    apply: (daemon) => (policy.second
      ? writeFile(daemon.path('agg', 'delete_device'), 'gpio-agg.1')
      : writeFile(daemon.path('agg', 'new_device'), 'gpiochip0 3')),
    result: { ...policy, second: !policy.second },
  });
}

function policyOf(state: SavedState): Policy {
  const lineOwners = Array.from({ length: LINES }, (_, line) => state.permissions.get(`gpio-agg.0/line${line}`)?.uid ?? 0);
  return {
    lineOwners,
    rootMode: state.permissions.get('.')?.mode ?? 0o755,
    second: state.aggregators.some(({ id, spec }) => id === 1 && spec === 'gpiochip0 3'),
  };
}

async function servedPolicy(daemon: Daemon): Promise<Policy> {
  const lineOwners = await Promise.all(Array.from({ length: LINES }, async (_, line) => (await stat(daemon.path('gpio-agg.0', `line${line}`))).uid));
  return {
    lineOwners,
    rootMode: (await stat(daemon.mountpoint)).mode & 0o7777,
    second: await stat(daemon.path('gpio-agg.1')).then(() => true, () => false),
  };
}

// Twenty starts of a daemon take a while on a loaded machine.
t.setTimeout(600000);

const dir = await mkdtemp(join(tmpdir(), 'gpio-aggfs-crash-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const state = join(dir, 'state.json');

t.test(`kill -9 during rapid changes, ${ROUNDS} times: every acknowledged change is on disk`, async (t) => {
  let daemon = await startDaemon({ args: ['--state', state] });
  await writeFile(daemon.path('agg', 'new_device'), 'gpiochip1 0-7');
  let policy = policyOf(loadState(state));
  let next = 0;
  let acknowledged = 0;
  const started = Date.now();
  for (let round = 0; round < ROUNDS; round += 1) {
    t.same(await servedPolicy(daemon), policy, `round ${round}: the start serves what the file holds`);
    // Kill after a different number of acknowledged changes each round, spread over the whole burst
    // (round 0 early, later rounds anywhere up to its end).
    const killAfter = 5 + ((round * 613) % (PLANNED - 10));
    let inFlight: { result: Policy; done: Promise<boolean> } | undefined;
    for (let count = 0; count < PLANNED; count += 1) {
      const { apply, result } = change(next)(policy);
      next += 1;
      if (count === killAfter) {
        inFlight = { result, done: apply(daemon).then(() => true, () => false) };
        // Let the change reach the daemon, so that some kills land in the middle of a save.
        await new Promise((resolve) => setTimeout(resolve, round % 4));
        break;
      }
      await apply(daemon);
      acknowledged += 1;
      policy = result;
    }
    await daemon.stop('SIGKILL');
    const inFlightAcknowledged = await inFlight?.done;
    if (inFlightAcknowledged === true && inFlight !== undefined) {
      policy = inFlight.result;
      acknowledged += 1;
    }
    let saved: SavedState | undefined;
    t.doesNotThrow(() => { saved = loadState(state); }, `round ${round}: the state file parses`);
    const onDisk = policyOf(saved as SavedState);
    const allowed = inFlight === undefined || inFlightAcknowledged === true ? [policy] : [policy, inFlight.result];
    t.ok(allowed.some((candidate) => JSON.stringify(candidate) === JSON.stringify(onDisk)),
      `round ${round}: the file holds every acknowledged change (${JSON.stringify(onDisk)})`);
    // The change in flight is decided by what the file holds.
    policy = onDisk;
    daemon = await startDaemon({ args: ['--state', state], mountpoint: daemon.mountpoint });
  }
  t.comment(`${acknowledged} acknowledged changes and ${ROUNDS} kills in ${Date.now() - started} ms`);
  t.same(await servedPolicy(daemon), policy, 'the last start serves what the file holds');
  t.same((await readdir(dir)).sort(), ['state.json', 'state.json.lock'], 'temporary files of killed saves are cleared at start');
  t.equal(await daemon.stop(), 0);
});
