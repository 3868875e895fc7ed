import { constants } from 'node:fs';
import t from 'tap';
import { FsOperations } from '../../lib/fs/operations.js';
import { UNKNOWN_CALLER, type Caller } from '../../lib/fs/caller.js';
import { Tree } from '../../lib/fs/tree.js';
import { LegacySysfs } from '../../lib/sysfs/legacy-sysfs.js';
import { ROOT, user } from '../helpers/callers.js';
import { simRegistry } from '../helpers/sim.js';

/*
 * Delegated creation, through the operations as each caller: an aggregator
 * created by a non-root writer of agg/new_device is theirs, and only its
 * owner (or root) may delete it.
 */

function setup() {
  const { sim, registry } = simRegistry();
  const sysfs = new LegacySysfs(sim, new Map(), sim);
  const tree = new Tree(registry, sim, sysfs);
  const ops = new FsOperations(tree);
  const write = (path: string, text: string, caller: Caller): void => {
    const handle = ops.open(path, constants.O_WRONLY, caller);
    try {
      ops.write(handle, Buffer.from(text), 0, caller);
    } finally {
      ops.release(handle);
    }
  };
  const read = (path: string, caller: Caller): string => {
    const handle = ops.open(path, constants.O_RDONLY, caller);
    try {
      return (ops.read(handle, 65536, 0, caller) as Buffer).toString();
    } finally {
      ops.release(handle);
    }
  };
  const owner = (path: string): string => {
    const { uid, gid } = ops.getattr(path);
    return `${uid}:${gid}`;
  };
  return { sim, registry, tree, ops, write, read, owner };
}

const alice = user(1001, 1002);
const bob = user(1003, 1004);
const WRITABLE = ['value', 'direction', 'active_low', 'edge', 'debounce_us', 'bias', 'drive'];
const READ_ONLY = ['name', 'source', 'events'];

t.test('an aggregator created by a non-root caller belongs to its creator', async (t) => {
  const { write, owner, ops } = setup();
  write('/agg/new_device', 'gpiochip0 1-2', alice);
  t.equal(owner('/gpio-agg.0'), '1001:1002', 'gpio-agg.N: uid and primary gid of the writer');
  for (const line of ['line0', 'line1']) {
    t.equal(owner(`/gpio-agg.0/${line}`), '1001:1002', line);
    for (const file of WRITABLE) t.equal(owner(`/gpio-agg.0/${line}/${file}`), '1001:1002', `${line}/${file}`);
    for (const file of READ_ONLY) t.equal(owner(`/gpio-agg.0/${line}/${file}`), '0:0', `${line}/${file} stays root's`);
  }
  for (const file of ['label', 'ngpio', 'spec']) t.equal(owner(`/gpio-agg.0/${file}`), '0:0', `${file} stays root's`);
  for (const entry of ['sysfs-gpio', 'sysfs-gpio/export', 'sysfs-gpio/unexport']) {
    t.equal(owner(`/gpio-agg.0/${entry}`), '1001:1002', `${entry} follows gpio-agg.N`);
  }
  t.equal(ops.getattr('/gpio-agg.0/line0/value').mode & 0o7777, 0o644, 'modes are the defaults');
  t.equal(owner('/agg/new_device'), '0:0', 'the control files are untouched');
});

t.test('an exported line of a delegated aggregator is its creator\'s too', async (t) => {
  const { write, owner, ops } = setup();
  write('/agg/new_device', 'gpiochip0 1', alice);
  const chip = ops.readdir('/gpio-agg.0/sysfs-gpio').find((name) => name.startsWith('gpiochip')) ?? '';
  const gpio = Number(chip.slice('gpiochip'.length)) + 1;
  write('/gpio-agg.0/sysfs-gpio/export', String(gpio), alice);
  t.equal(owner(`/gpio-agg.0/sysfs-gpio/gpio${gpio}`), '1001:1002');
  t.equal(owner(`/gpio-agg.0/sysfs-gpio/gpio${gpio}/value`), '1001:1002');
});

t.test('root and the unknown caller create root-owned aggregators, as before', async (t) => {
  const { write, owner, tree } = setup();
  write('/agg/new_device', 'gpiochip0 1', ROOT);
  write('/agg/new_device', 'gpiochip0 2', UNKNOWN_CALLER);
  for (const name of ['gpio-agg.0', 'gpio-agg.1']) {
    t.equal(owner(`/${name}`), '0:0');
    t.equal(owner(`/${name}/line0/value`), '0:0');
    t.notOk(tree.lookup(`/${name}`)?.isCustomised, 'nothing to save');
  }
});

t.test('the creator may delete their aggregator', async (t) => {
  const { write, registry, sim } = setup();
  write('/agg/new_device', 'gpiochip0 1-2', alice);
  write('/agg/delete_device', 'gpio-agg.0', alice);
  t.same(registry.list(), []);
  t.doesNotThrow(() => sim.request('gpiochip0', 1, 'test').release(), 'its lines are free again');
});

t.test('deleting another user\'s aggregator is EPERM and changes nothing', async (t) => {
  const { write, read, registry, ops, owner } = setup();
  write('/agg/new_device', 'gpiochip0 1-2', alice);
  write('/agg/new_device', 'gpiochip0 3', ROOT);
  const devices = read('/agg/devices', ROOT);
  t.throws(() => write('/agg/delete_device', 'gpio-agg.0', bob), { code: 'EPERM' }, 'another user\'s');
  t.throws(() => write('/agg/delete_device', 'gpio-aggregator.0', bob), { code: 'EPERM' }, 'by its kernel name');
  t.throws(() => write('/agg/delete_device', 'gpio-agg.1', alice), { code: 'EPERM' }, 'root\'s');
  t.equal(read('/agg/devices', ROOT), devices, 'both still exist');
  t.equal(registry.list().length, 2);
  t.equal(owner('/gpio-agg.0/line1/value'), '1001:1002', 'and are unchanged');
  t.equal(ops.readdir('/gpio-agg.0').filter((name) => name.startsWith('line')).length, 2);
  t.throws(() => write('/agg/delete_device', 'gpio-agg.7', bob), { code: 'ENOENT' }, 'a missing one is still ENOENT');
  t.throws(() => write('/agg/delete_device', 'nonsense', bob), { code: 'EINVAL' });
});

t.test('ownership follows chown: root may hand an aggregator to another user', async (t) => {
  const { write, ops, registry } = setup();
  write('/agg/new_device', 'gpiochip0 1', alice);
  ops.chown('/gpio-agg.0', bob.uid, bob.gid, ROOT);
  t.throws(() => write('/agg/delete_device', 'gpio-agg.0', alice), { code: 'EPERM' }, 'the creator no longer owns it');
  write('/agg/delete_device', 'gpio-agg.0', bob);
  t.same(registry.list(), []);
});

t.test('root and the unknown caller may delete any aggregator', async (t) => {
  const { write, registry } = setup();
  write('/agg/new_device', 'gpiochip0 1', alice);
  write('/agg/new_device', 'gpiochip0 2', bob);
  write('/agg/delete_device', 'gpio-agg.0', ROOT);
  write('/agg/delete_device', 'gpio-agg.1', UNKNOWN_CALLER);
  t.same(registry.list(), []);
});

t.test('an aggregator kept but not restored has no owner but root: only root may forget it', async (t) => {
  const { write, registry } = setup();
  registry.reserve(5, 'gpiochip0 7');
  t.throws(() => write('/agg/delete_device', 'gpio-agg.5', alice), { code: 'EPERM' });
  t.same(registry.reserved(), [{ id: 5, spec: 'gpiochip0 7' }], 'still kept');
  write('/agg/delete_device', 'gpio-agg.5', ROOT);
  t.same(registry.reserved(), []);
});
