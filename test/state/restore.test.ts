import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startDaemon } from '../helpers/daemon.js';
import { q, sh } from '../helpers/run.js';
import { loadState } from '../../lib/state/state-file.js';

/*
 * The state file through the real mount: what an administrator set up
 * survives kill -9, and a kill during a burst of changes never leaves a
 * damaged file. The state lives in /tmp (writable in the VM too); users and
 * groups are numbers.
 */

const stateDir = await mkdtemp(join(tmpdir(), 'gpio-aggfs-restore-'));
t.teardown(() => rm(stateDir, { recursive: true, force: true }));

async function shell(script: string): Promise<void> {
  const result = await sh(script);
  if (result.code !== 0) throw new Error(`${script}: ${result.stderr}`);
}

async function metadata(path: string): Promise<string> {
  const info = await stat(path);
  return `${(info.mode & 0o7777).toString(8)} ${info.uid}:${info.gid}`;
}

t.test('aggregators, modes and owners survive kill -9', async (t) => {
  const state = join(stateDir, 'kill.json');
  const first = await startDaemon({ args: ['--state', state] });
  const mnt = first.mountpoint;
  const p = (...parts: string[]): string => join(mnt, ...parts);
  await shell([
    `echo 'gpiochip0 0-1' > ${q(p('agg', 'new_device'))}`,
    `echo 'gpiochip1 3-5' > ${q(p('agg', 'new_device'))}`,
    `echo 'gpiochip1 9' > ${q(p('agg', 'new_device'))}`,
    // A gap: gpio-agg.1 is deleted, so ids 0 and 2 remain.
    `echo gpio-agg.1 > ${q(p('agg', 'delete_device'))}`,
    `chown 1234:2345 ${q(p('gpio-agg.0', 'line1'))} ${q(p('gpio-agg.0', 'line1', 'value'))}`,
    `chmod 0750 ${q(p('gpio-agg.0', 'line1'))}`,
    `chmod 0600 ${q(p('gpio-agg.0', 'line1', 'value'))}`,
    `chown 1234 ${q(p('gpio-agg.2'))}`,
    `chmod 0711 ${q(p('gpio-agg.2'))}`,
    `chgrp 77 ${q(p('gpio-agg.2', 'line0', 'direction'))}`,
    `chown 1234 ${q(p('agg', 'new_device'))}`,
    `chmod 0220 ${q(p('agg', 'new_device'))}`,
  ].join(' && '));
  const paths = [
    ['gpio-agg.0', 'line1'], ['gpio-agg.0', 'line1', 'value'], ['gpio-agg.0', 'line0'], ['gpio-agg.2'],
    ['gpio-agg.2', 'line0', 'direction'], ['agg', 'new_device'], ['agg', 'delete_device'],
  ];
  const before = await Promise.all(paths.map((parts) => metadata(p(...parts))));
  const devicesBefore = await readFile(p('agg', 'devices'), 'utf8');
  t.equal(devicesBefore, 'gpio-agg.0 gpiochip0 0-1\ngpio-agg.2 gpiochip1 9\n');

  await first.stop('SIGKILL');
  const second = await startDaemon({ args: ['--state', state], mountpoint: mnt });
  t.teardown(() => second.stop());
  t.equal(await readFile(p('agg', 'devices'), 'utf8'), devicesBefore, 'same ids and specs');
  t.equal(await readFile(p('gpio-agg.2', 'spec'), 'utf8'), 'gpiochip1 9\n');
  t.same(await Promise.all(paths.map((parts) => metadata(p(...parts)))), before, 'same modes and owners');
  t.same(before.slice(0, 2), ['750 1234:2345', '600 1234:2345']);
  t.equal(before[2], '755 0:0', 'untouched entries keep their defaults');

  // A new aggregator takes the lowest free id, as before the restart.
  await shell(`echo 'gpiochip0 7' > ${q(p('agg', 'new_device'))}`);
  t.match(await readFile(p('agg', 'devices'), 'utf8'), /^gpio-agg\.1 gpiochip0 7$/m);
  t.same(loadState(state).aggregators.map(({ id }) => id), [0, 1, 2]);
});

t.test('the mount root keeps its mode, owner and group across a restart', async (t) => {
  const state = join(stateDir, 'root.json');
  const first = await startDaemon({ args: ['--state', state] });
  await shell(`chmod 0751 ${q(first.mountpoint)} && chown 1234:2345 ${q(first.mountpoint)}`);
  t.equal(await metadata(first.mountpoint), '751 1234:2345');
  t.same(loadState(state).permissions.get('.'), { mode: 0o751, uid: 1234, gid: 2345 }, 'saved as the entry "."');
  t.equal(await first.stop(), 0);
  const second = await startDaemon({ args: ['--state', state], mountpoint: first.mountpoint });
  t.teardown(() => second.stop());
  t.equal(await metadata(second.mountpoint), '751 1234:2345', 'restored');
  await shell(`chmod 0755 ${q(second.mountpoint)} && chown 0:0 ${q(second.mountpoint)}`);
  t.equal(loadState(state).permissions.has('.'), false, 'back to the default: no longer saved');
});

t.test('100 rapid chmods are each saved', async (t) => {
  const state = join(stateDir, 'rapid.json');
  const daemon = await startDaemon({ args: ['--state', state] });
  t.teardown(() => daemon.stop());
  await shell(`echo 'gpiochip0 2' > ${q(daemon.path('agg', 'new_device'))}`);
  const started = Date.now();
  await shell(`for i in $(seq 100 199); do chown $i ${q(daemon.path('gpio-agg.0', 'line0'))} || exit 1; done`);
  const ms = Date.now() - started;
  t.comment(`100 chowns with a save each: ${ms} ms`);
  t.equal(loadState(state).permissions.get('gpio-agg.0/line0')?.uid, 199, 'the last change is on disk');
});

t.test('an aggregator whose lines cannot be taken is kept, reported, and its id not reused', async (t) => {
  const state = join(stateDir, 'unrestorable.json');
  await writeFile(state, JSON.stringify({
    version: 1,
    aggregators: [{ id: 0, spec: 'gpiochip0 1' }, { id: 1, spec: 'gpiochip0 1-2' }, { id: 3, spec: 'gpiochip9 0' }],
    permissions: {
      'gpio-agg.0/line0': { mode: '0700', uid: 5, gid: 5 },
      'gpio-agg.1/line1': { mode: '0750', uid: 6, gid: 6 },
      'gpio-agg.7': { mode: '0700', uid: 1, gid: 1 },
    },
  }));
  const daemon = await startDaemon({ args: ['--state', state] });
  t.teardown(() => daemon.stop());
  t.match(daemon.output(), /gpio-agg\.1 \(spec "gpiochip0 1-2"\) not restored: .*\(EBUSY\); kept in .*unrestorable\.json/);
  t.match(daemon.output(), /gpio-agg\.3 \(spec "gpiochip9 0"\) not restored: .*\(ENOENT\)/);
  t.equal(await readFile(daemon.path('agg', 'devices'), 'utf8'), 'gpio-agg.0 gpiochip0 1\n');
  t.equal(await metadata(daemon.path('gpio-agg.0', 'line0')), '700 5:5');

  // Changes are saved without dropping the unrestored aggregators or their permissions.
  await shell([
    `echo 'gpiochip0 4' > ${q(daemon.path('agg', 'new_device'))}`,
    `echo 'gpiochip0 5' > ${q(daemon.path('agg', 'new_device'))}`,
  ].join(' && '));
  t.equal(await readFile(daemon.path('agg', 'devices'), 'utf8'),
    'gpio-agg.0 gpiochip0 1\ngpio-agg.2 gpiochip0 4\ngpio-agg.4 gpiochip0 5\n', 'ids 1 and 3 are not reused');
  let saved = loadState(state);
  t.same(saved.aggregators, [
    { id: 0, spec: 'gpiochip0 1' }, { id: 1, spec: 'gpiochip0 1-2' }, { id: 2, spec: 'gpiochip0 4' },
    { id: 3, spec: 'gpiochip9 0' }, { id: 4, spec: 'gpiochip0 5' },
  ]);
  t.same(saved.permissions.get('gpio-agg.1/line1'), { mode: 0o750, uid: 6, gid: 6 }, 'its permissions are kept');
  t.equal(saved.permissions.has('gpio-agg.7'), false, 'permissions of entries that exist nowhere are dropped');

  // delete_device forgets an unrestored aggregator.
  await shell(`echo gpio-agg.3 > ${q(daemon.path('agg', 'delete_device'))}`);
  saved = loadState(state);
  t.same(saved.aggregators.map(({ id }) => id), [0, 1, 2, 4]);
  await shell(`echo gpio-agg.1 > ${q(daemon.path('agg', 'delete_device'))}`);
  saved = loadState(state);
  t.same(saved.aggregators.map(({ id }) => id), [0, 2, 4]);
  t.equal(saved.permissions.has('gpio-agg.1/line1'), false);
});

t.test('a damaged state file stops the start without mounting', async (t) => {
  const state = join(stateDir, 'damaged.json');
  await writeFile(state, '{"version": 1, "aggregators": [{"id": 0,');
  await t.rejects(startDaemon({ args: ['--state', state] }), /damaged\.json: the state file is not valid JSON/);
  t.equal(await readFile(state, 'utf8'), '{"version": 1, "aggregators": [{"id": 0,', 'the file is left as it was');
});
