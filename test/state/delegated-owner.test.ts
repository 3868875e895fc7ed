import { constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Caller } from '../../lib/fs/caller.js';
import { FsOperations } from '../../lib/fs/operations.js';
import { Tree } from '../../lib/fs/tree.js';
import { restoreState } from '../../lib/state/restore.js';
import { loadState } from '../../lib/state/state-file.js';
import { StateRecorder } from '../../lib/state/state-recorder.js';
import { user } from '../helpers/callers.js';
import { simRegistry } from '../helpers/sim.js';

/*
 * The owner an aggregator gets from its creator is saved with the creation
 * and restored like any chown: after a restart the creator still owns it
 * and may still delete it.
 */

const stateDir = await mkdtemp(join(tmpdir(), 'gpio-aggfs-delegated-'));
t.teardown(() => rm(stateDir, { recursive: true, force: true }));

function start(file: string) {
  const { registry, sim } = simRegistry();
  const tree = new Tree(registry, sim);
  const ops = new FsOperations(tree);
  const { kept } = restoreState(loadState(file), registry, tree);
  const recorder = new StateRecorder(file, registry, tree, kept);
  recorder.save();
  recorder.start(ops);
  const write = (path: string, text: string, caller: Caller): void => {
    const handle = ops.open(path, constants.O_WRONLY, caller);
    try {
      ops.write(handle, Buffer.from(text), 0, caller);
    } finally {
      ops.release(handle);
    }
  };
  const owner = (path: string): string => `${ops.getattr(path).uid}:${ops.getattr(path).gid}`;
  const stop = (): void => {
    recorder.stop();
    tree.close();
    registry.closeAll();
  };
  return { registry, write, owner, stop };
}

t.test('a delegated owner is saved with the creation and restored', async (t) => {
  const file = join(stateDir, 'state.json');
  const alice = user(1001, 1002);
  const first = start(file);
  first.write('/agg/new_device', 'gpiochip0 1-2', alice);
  const saved = loadState(file).permissions;
  for (const path of ['gpio-agg.0', 'gpio-agg.0/line0', 'gpio-agg.0/line1/value', 'gpio-agg.0/line1/drive']) {
    t.same(saved.get(path), { mode: path.endsWith('value') || path.endsWith('drive') ? 0o644 : 0o755, uid: 1001, gid: 1002 },
      `${path} saved before the write returned`);
  }
  t.notOk(saved.has('gpio-agg.0/line0/name'), 'a root-owned read-only entry is not customised');
  first.stop();

  const second = start(file);
  t.equal(second.owner('/gpio-agg.0'), '1001:1002');
  t.equal(second.owner('/gpio-agg.0/line1/value'), '1001:1002');
  t.equal(second.owner('/gpio-agg.0/line1/name'), '0:0');
  t.throws(() => second.write('/agg/delete_device', 'gpio-agg.0', user(1003)), { code: 'EPERM' });
  second.write('/agg/delete_device', 'gpio-agg.0', alice);
  t.same(second.registry.list(), [], 'its creator deleted it after the restart');
  t.same(loadState(file).aggregators, [], 'and the deletion is saved');
  second.stop();
});
