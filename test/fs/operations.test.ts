import { constants } from 'node:fs';
import t from 'tap';
import { Registry } from '../../lib/aggregator/registry.js';
import { GpioAggError } from '../../lib/errors.js';
import { FsOperations } from '../../lib/fs/operations.js';
import { parseBoard } from '../../lib/gpio/board.js';
import { SimBackend } from '../../lib/gpio/sim-backend.js';
import { Tree } from '../../lib/fs/tree.js';
import { ROOT } from '../helpers/callers.js';
import { simRegistry } from '../helpers/sim.js';

function setup() {
  const { sim, registry } = simRegistry();
  const tree = new Tree(registry, sim);
  return { sim, registry, tree, ops: new FsOperations(tree) };
}

const text = (data: Buffer | Promise<Buffer>): string => (data as Buffer).toString();

t.test('layout and default modes follow SPEC', async (t) => {
  const { ops } = setup();
  t.same(ops.readdir('/').sort(), ['.sim', 'agg']);
  t.same(ops.readdir('/agg').sort(), ['delete_device', 'devices', 'last_error', 'new_device']);
  const mode = (path: string) => ops.getattr(path).mode & 0o7777;
  t.equal(mode('/agg/new_device'), 0o200);
  t.equal(mode('/agg/delete_device'), 0o200);
  t.equal(mode('/agg/devices'), 0o444);
  t.equal(mode('/agg/last_error'), 0o444);
  t.equal(mode('/.sim'), 0o700);
  const handle = ops.open('/agg/new_device', constants.O_WRONLY, ROOT);
  ops.write(handle, Buffer.from('gpiochip0 1-2\n'), 0, ROOT);
  ops.release(handle);
  t.same(ops.readdir('/gpio-agg.0').sort(), ['label', 'line0', 'line1', 'ngpio', 'spec']);
  t.same(ops.readdir('/gpio-agg.0/line0').sort(),
    ['active_low', 'bias', 'debounce_us', 'direction', 'drive', 'edge', 'events', 'name', 'source', 'value']);
  for (const file of ['value', 'direction', 'active_low', 'edge', 'debounce_us', 'bias', 'drive']) {
    t.equal(mode(`/gpio-agg.0/line0/${file}`), 0o644, file);
  }
  for (const file of ['name', 'source', 'events']) t.equal(mode(`/gpio-agg.0/line0/${file}`), 0o444, file);
  t.equal(ops.getattr('/gpio-agg.0/line0').mode & constants.S_IFMT, constants.S_IFDIR);
  t.equal(ops.getattr('/gpio-agg.0/line0/value').mode & constants.S_IFMT, constants.S_IFREG);
});

t.test('lookup and open errors carry their errno', async (t) => {
  const { ops } = setup();
  t.throws(() => ops.getattr('/nope'), { code: 'ENOENT' });
  t.throws(() => ops.getattr('/agg/devices/x'), { code: 'ENOENT' });
  t.throws(() => ops.readdir('/agg/devices'), { code: 'ENOTDIR' });
  t.throws(() => ops.open('/agg', constants.O_RDONLY, ROOT), { code: 'EISDIR' });
  t.throws(() => ops.open('/agg/devices', constants.O_WRONLY, ROOT), { code: 'EACCES' });
  t.throws(() => ops.open('/agg/devices', constants.O_RDWR, ROOT), { code: 'EACCES' });
  t.throws(() => ops.open('/agg/new_device', constants.O_RDONLY, ROOT), { code: 'EACCES' });
  t.throws(() => ops.read(999, 10, 0, ROOT), { code: 'EBADF' });
  t.throws(() => ops.write(999, Buffer.from('x'), 0, ROOT), { code: 'EBADF' });
  t.throws(() => ops.truncate('/agg/devices', ROOT), { code: 'EACCES' });
  t.throws(() => ops.truncate('/agg', ROOT), { code: 'EISDIR' });
  t.throws(() => ops.refuseNamespaceChange('/agg/x'), { code: 'EPERM' });
});

t.test('handles start at 1 and reads render afresh at offset 0', async (t) => {
  const { ops, sim } = setup();
  const create = ops.open('/agg/new_device', constants.O_WRONLY, ROOT);
  t.equal(create, 1);
  ops.write(create, Buffer.from('BUTTON'), 0, ROOT);
  const value = ops.open('/gpio-agg.0/line0/value', constants.O_RDONLY, ROOT);
  t.equal(text(ops.read(value, 4096, 0, ROOT)), '0\n');
  sim.setPull('gpiochip0', 3, 'pull-up');
  t.equal(text(ops.read(value, 4096, 0, ROOT)), '1\n', 'pread at 0 on the same fd sees the new value');
  t.equal(text(ops.read(value, 4096, 2, ROOT)), '', 'end of the rendering');
  t.equal(text(ops.read(value, 1, 1, ROOT)), '\n', 'a later offset continues the last rendering');
});

t.test('truncate of a writable attribute changes nothing', async (t) => {
  const { ops } = setup();
  const create = ops.open('/agg/new_device', constants.O_WRONLY, ROOT);
  ops.write(create, Buffer.from('LED0'), 0, ROOT);
  const direction = ops.open('/gpio-agg.0/line0/direction', constants.O_WRONLY, ROOT);
  ops.write(direction, Buffer.from('high\n'), 0, ROOT);
  ops.truncate('/gpio-agg.0/line0/value', ROOT);
  const value = ops.open('/gpio-agg.0/line0/value', constants.O_RDONLY, ROOT);
  t.equal(text(ops.read(value, 10, 0, ROOT)), '1\n');
});

t.test('chmod, chown and utimens update the entry', async (t) => {
  const { ops } = setup();
  ops.chmod('/agg/new_device', 0o100620, ROOT);
  t.equal(ops.getattr('/agg/new_device').mode & 0o7777, 0o620, 'file type bits are ignored');
  ops.chown('/agg/new_device', 1000, -1, ROOT);
  t.equal(ops.getattr('/agg/new_device').uid, 1000);
  t.equal(ops.getattr('/agg/new_device').gid, 0, '-1 leaves the group');
  ops.chown('/agg/new_device', 0xffffffff, 50, ROOT);
  t.equal(ops.getattr('/agg/new_device').uid, 1000, '4294967295 leaves the owner');
  t.equal(ops.getattr('/agg/new_device').gid, 50);
  const when = new Date('2020-01-01T00:00:00Z');
  ops.utimens('/agg/devices', when, when, ROOT);
  t.equal(ops.getattr('/agg/devices').mtime.getTime(), when.getTime());
  t.throws(() => ops.chmod('/nope', 0o600, ROOT), { code: 'ENOENT' });
});

t.test('a metadata listener that throws refuses the chmod or chown: it is undone', async (t) => {
  const { ops } = setup();
  ops.chmod('/agg/new_device', 0o220, ROOT);
  ops.chown('/agg/new_device', 7, 8, ROOT);
  const off = ops.onMetadataChange(() => { throw new GpioAggError('ENOSPC', 'state: no space'); });
  t.throws(() => ops.chmod('/agg/new_device', 0o222, ROOT), { code: 'ENOSPC' });
  t.throws(() => ops.chown('/agg/new_device', 9, 10, ROOT), { code: 'ENOSPC' });
  t.throws(() => ops.chmod('/', 0o700, ROOT), { code: 'ENOSPC' });
  const after = ops.getattr('/agg/new_device');
  t.same([after.mode & 0o7777, after.uid, after.gid], [0o220, 7, 8], 'mode, owner and group as before');
  t.equal(ops.getattr('/').mode & 0o7777, 0o755);
  off();
  ops.chmod('/agg/new_device', 0o222, ROOT);
  t.equal(ops.getattr('/agg/new_device').mode & 0o7777, 0o222, 'works again once the listener is gone');
});

t.test('deleting an aggregator removes its directory and ends event readers', async (t) => {
  const { ops } = setup();
  const create = ops.open('/agg/new_device', constants.O_WRONLY, ROOT);
  ops.write(create, Buffer.from('BUTTON'), 0, ROOT);
  const events = ops.open('/gpio-agg.0/line0/events', constants.O_RDONLY, ROOT);
  const pending = ops.read(events, 4096, 0, ROOT);
  const del = ops.open('/agg/delete_device', constants.O_WRONLY, ROOT);
  ops.write(del, Buffer.from('gpio-aggregator.0\n'), 0, ROOT);
  t.equal((await pending).length, 0, 'end-of-file');
  t.throws(() => ops.getattr('/gpio-agg.0'), { code: 'ENOENT' });
});

t.test('endStreams: waiting and later event reads get end-of-file while the tree stays whole', async (t) => {
  const { ops, registry } = setup();
  ops.write(ops.open('/agg/new_device', constants.O_WRONLY, ROOT), Buffer.from('BUTTON'), 0, ROOT);
  const events = ops.open('/gpio-agg.0/line0/events', constants.O_RDONLY, ROOT);
  const pending = ops.read(events, 4096, 0, ROOT);
  let answered = false;
  const answers = ops.readsAnswered(60000).then(() => { answered = true; });
  await Promise.resolve();
  t.equal(answered, false, 'a read is waiting');
  ops.endStreams();
  t.equal((await pending).length, 0, 'the waiting read: end-of-file');
  await answers;
  t.ok(answered, 'readsAnswered resolves once it was answered');
  t.equal(text(ops.read(events, 4096, 0, ROOT)), '', 'a later read of the same file: end-of-file');
  const opened = ops.open('/gpio-agg.0/line0/events', constants.O_RDONLY | constants.O_NONBLOCK, ROOT);
  t.equal(text(ops.read(opened, 4096, 0, ROOT)), '', 'a file opened after: end-of-file, not EAGAIN');
  t.equal(ops.getattr('/gpio-agg.0/line0/events').mode & 0o777, 0o444, 'the directories are still there');
  t.equal(registry.list().length, 1, 'and the aggregator');
});

t.test('readsAnswered gives up after its grace time', async (t) => {
  const { ops } = setup();
  ops.write(ops.open('/agg/new_device', constants.O_WRONLY, ROOT), Buffer.from('BUTTON'), 0, ROOT);
  const events = ops.open('/gpio-agg.0/line0/events', constants.O_RDONLY, ROOT);
  void ops.read(events, 4096, 0, ROOT);
  await ops.readsAnswered(10);
  t.pass('resolved with the read still waiting');
  ops.releaseAll();
});

t.test('control write failures are kept in last_error', async (t) => {
  const { ops } = setup();
  const lastError = () => text(ops.read(ops.open('/agg/last_error', constants.O_RDONLY, ROOT), 4096, 0, ROOT));
  t.equal(lastError(), '');
  const create = ops.open('/agg/new_device', constants.O_WRONLY, ROOT);
  t.throws(() => ops.write(create, Buffer.from('gpiochip7 1'), 0, ROOT), { code: 'ENOENT' });
  t.match(lastError(), /^new_device: .*gpiochip7.*\(ENOENT\)\n$/);
  const del = ops.open('/agg/delete_device', constants.O_WRONLY, ROOT);
  t.throws(() => ops.write(del, Buffer.from('gpio-agg.x'), 0, ROOT), { code: 'EINVAL' });
  t.match(lastError(), /^delete_device: .*\(EINVAL\)\n$/);
  t.throws(() => ops.write(create, Buffer.alloc(70000, 0x41), 0, ROOT), { code: 'EINVAL' }, 'oversized spec');
});

t.test('interrupt fails waiting event reads with EINTR', async (t) => {
  const { ops } = setup();
  ops.write(ops.open('/agg/new_device', constants.O_WRONLY, ROOT), Buffer.from('BUTTON'), 0, ROOT);
  const events = ops.open('/gpio-agg.0/line0/events', constants.O_RDONLY, ROOT);
  const pending = ops.read(events, 4096, 0, ROOT);
  ops.interruptWaitingReads();
  await t.rejects(pending as Promise<Buffer>, { code: 'EINTR' });
  ops.releaseAll();
  t.throws(() => ops.read(events, 10, 0, ROOT), { code: 'EBADF' });
});

t.test('.sim pull and value files drive and show the simulated line', async (t) => {
  const { ops } = setup();
  const pull = ops.open('/.sim/gpiochip1/sim_gpio4/pull', constants.O_RDWR, ROOT);
  t.equal(text(ops.read(pull, 100, 0, ROOT)), 'pull-down\n');
  ops.write(pull, Buffer.from('pull-up\n'), 0, ROOT);
  t.equal(text(ops.read(ops.open('/.sim/gpiochip1/sim_gpio4/value', constants.O_RDONLY, ROOT), 10, 0, ROOT)), '1\n');
  t.throws(() => ops.write(pull, Buffer.from('up'), 0, ROOT), { code: 'EINVAL' });
  t.equal(text(ops.read(pull, 100, 0, ROOT)), 'pull-up\n', 'rejected write changed nothing');
});

t.test('a chip that refuses bias: EOPNOTSUPP, and the line is unchanged', async (t) => {
  const sim = new SimBackend(parseBoard({ chips: [{ label: 'no-bias', lines: 2, bias: false }] }, 'board.json'));
  const ops = new FsOperations(new Tree(new Registry(sim), sim));
  ops.write(ops.open('/agg/new_device', constants.O_WRONLY, ROOT), Buffer.from('gpiochip0 0'), 0, ROOT);
  const bias = ops.open('/gpio-agg.0/line0/bias', constants.O_RDWR, ROOT);
  t.throws(() => ops.write(bias, Buffer.from('pull-up\n'), 0, ROOT), { code: 'EOPNOTSUPP' });
  t.equal(text(ops.read(bias, 100, 0, ROOT)), 'as-is\n');
  t.equal(sim.pull('gpiochip0', 0), 'pull-down');
  ops.write(bias, Buffer.from('as-is'), 0, ROOT);
  t.equal(text(ops.read(bias, 100, 0, ROOT)), 'as-is\n', 'as-is is always accepted');
});
