import { constants } from 'node:fs';
import t, { type Test } from 'tap';
import { auditText } from '../../lib/fs/audit.js';
import { UNKNOWN_CALLER, type Caller } from '../../lib/fs/caller.js';
import { FsOperations } from '../../lib/fs/operations.js';
import { Tree } from '../../lib/fs/tree.js';
import { LegacySysfs } from '../../lib/sysfs/legacy-sysfs.js';
import { captureAudit } from '../helpers/audit-log.js';
import { ROOT, user } from '../helpers/callers.js';
import { simRegistry } from '../helpers/sim.js';

/*
 * gpio-aggfs:audit through the operations: one line per change, naming the
 * caller's uid and pid, none for reads or refused writes.
 */

function setup(t: Test) {
  const { sim, registry } = simRegistry();
  const sysfs = new LegacySysfs(sim, new Map(), sim);
  const tree = new Tree(registry, sim, sysfs);
  const ops = new FsOperations(tree);
  const capture = captureAudit();
  t.teardown(() => {
    capture.stop();
    tree.close();
    registry.closeAll();
    sysfs.close();
  });
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
  /** The lines logged by `action`. */
  const logged = (action: () => void): string[] => {
    const from = capture.lines.length;
    action();
    return capture.lines.slice(from);
  };
  return { sim, sysfs, ops, write, read, logged };
}

const alice = user(1001, 1002, 4242);

t.test('each change is one line naming the caller\'s uid and pid', async (t) => {
  const { ops, write, logged, sysfs } = setup(t);
  t.same(logged(() => write('/agg/new_device', 'gpiochip0 1-2\n', alice)),
    ['uid=1001 pid=4242 create gpio-agg.0 "gpiochip0 1-2"']);
  const line = 'gpio-agg.0/line0';
  const writes: [string, string][] = [
    ['direction', 'in'], ['edge', 'both'], ['edge', 'none'], ['debounce_us', '1000'], ['debounce_us', '0'], ['bias', 'pull-up'], ['active_low', '1'],
    ['direction', 'out'], ['drive', 'open-drain'], ['value', '1'], ['value', '0'],
  ];
  for (const [file, text] of writes) {
    t.same(logged(() => write(`/${line}/${file}`, `${text}\n`, alice)),
      [`uid=1001 pid=4242 write ${line}/${file} "${text}"`], `${file} ${text}`);
  }
  t.same(logged(() => ops.chmod(`/${line}/value`, 0o600, alice)), [`uid=1001 pid=4242 chmod ${line}/value 0600`]);
  t.same(logged(() => ops.chown('/gpio-agg.0', 1005, 1006, ROOT)), [`uid=0 pid=${process.pid} chown gpio-agg.0 1005:1006`]);
  t.same(logged(() => ops.chown('/gpio-agg.0', -1, 1007, ROOT)), [`uid=0 pid=${process.pid} chown gpio-agg.0 1005:1007`],
    'chown names the resulting owner and group');

  const gpio = sysfs.numbering.gpioOf('gpiochip0', 1) ?? -1;
  const view = 'gpio-agg.0/sysfs-gpio';
  t.same(logged(() => write(`/${view}/export`, `${gpio}\n`, ROOT)), [`uid=0 pid=${process.pid} write ${view}/export "${gpio}"`]);
  t.same(logged(() => write(`/${view}/gpio${gpio}/direction`, 'in\n', ROOT)),
    [`uid=0 pid=${process.pid} write ${view}/gpio${gpio}/direction "in"`], 'a sysfs gpioN attribute');
  t.same(logged(() => write(`/${view}/unexport`, `${gpio}\n`, ROOT)), [`uid=0 pid=${process.pid} write ${view}/unexport "${gpio}"`]);

  const free = sysfs.numbering.gpioOf('gpiochip0', 5) ?? -1;
  t.same(logged(() => write('/sysfs-gpio/export', `${free}`, ROOT)), [`uid=0 pid=${process.pid} write sysfs-gpio/export "${free}"`]);
  t.same(logged(() => write(`/sysfs-gpio/gpio${free}/direction`, 'high', ROOT)),
    [`uid=0 pid=${process.pid} write sysfs-gpio/gpio${free}/direction "high"`], 'the global view\'s gpioN');
  t.same(logged(() => write(`/sysfs-gpio/gpio${free}/value`, '0', ROOT)),
    [`uid=0 pid=${process.pid} write sysfs-gpio/gpio${free}/value "0"`]);
  t.same(logged(() => write('/sysfs-gpio/unexport', `${free}`, ROOT)), [`uid=0 pid=${process.pid} write sysfs-gpio/unexport "${free}"`]);

  t.same(logged(() => write('/agg/delete_device', 'gpio-agg.0\n', ROOT)), [`uid=0 pid=${process.pid} delete gpio-agg.0`]);
});

t.test('reads, refused writes and refused deletions log nothing', async (t) => {
  const { write, read, logged, ops } = setup(t);
  write('/agg/new_device', 'gpiochip0 1', alice);
  t.same(logged(() => {
    read('/gpio-agg.0/line0/value', alice);
    read('/agg/devices', alice);
    t.throws(() => write('/gpio-agg.0/line0/direction', 'sideways', alice), { code: 'EINVAL' });
    t.throws(() => write('/agg/new_device', 'gpiochip9 0', alice), { code: 'ENOENT' });
    t.throws(() => write('/agg/delete_device', 'gpio-agg.0', user(1003)), { code: 'EPERM' });
    t.throws(() => ops.chmod('/nope', 0o600, alice), { code: 'ENOENT' });
    ops.truncate('/gpio-agg.0/line0/value', alice);
    ops.utimens('/gpio-agg.0/line0/value', new Date(0), new Date(0), alice);
  }), []);
});

t.test('writes to files that change nothing of the lines are not audited', async (t) => {
  const { write, logged } = setup(t);
  t.same(logged(() => write('/.sim/gpiochip0/sim_gpio3/pull', 'pull-up', ROOT)), [], 'the simulator');
});

t.test('a caller the transport cannot name is uid=? pid=?', async (t) => {
  const { write, logged } = setup(t);
  t.same(logged(() => write('/agg/new_device', 'gpiochip0 1', UNKNOWN_CALLER)), ['uid=? pid=? create gpio-agg.0 "gpiochip0 1"']);
});

t.test('written text is one quoted string, bounded: it cannot forge a line', async (t) => {
  t.equal(auditText('1\n'), '"1"', 'one trailing newline dropped');
  t.equal(auditText('1\nuid=0 pid=1 delete gpio-agg.0\n'), '"1\\nuid=0 pid=1 delete gpio-agg.0"');
  t.equal(auditText('"\u001b[2J'), '"\\"\\u001b[2J"');
  const long = auditText('x'.repeat(10000));
  t.ok(long.length < 140, `a long text is cut (${long.length} characters)`);
});
