import { constants } from 'node:fs';
import t from 'tap';
import { UNKNOWN_CALLER, type Caller } from '../../lib/fs/caller.js';
import { LastErrors, MAX_CALLERS, MAX_MESSAGE } from '../../lib/fs/last-errors.js';
import { FsOperations } from '../../lib/fs/operations.js';
import { Tree } from '../../lib/fs/tree.js';
import { ROOT, user } from '../helpers/callers.js';
import { simRegistry } from '../helpers/sim.js';

/*
 * agg/last_error shows each uid its own last failure, and what it keeps is
 * bounded however many users fail.
 */

function setup() {
  const { sim, registry } = simRegistry();
  const ops = new FsOperations(new Tree(registry, sim));
  const write = (path: string, text: string, caller: Caller): void => {
    const handle = ops.open(path, constants.O_WRONLY, caller);
    try {
      ops.write(handle, Buffer.from(text), 0, caller);
    } finally {
      ops.release(handle);
    }
  };
  const lastError = (caller: Caller): string => {
    const handle = ops.open('/agg/last_error', constants.O_RDONLY, caller);
    try {
      return (ops.read(handle, 65536, 0, caller) as Buffer).toString();
    } finally {
      ops.release(handle);
    }
  };
  return { write, lastError };
}

const alice = user(1001);
const bob = user(1003);

t.test('each uid reads its own last failure', async (t) => {
  const { write, lastError } = setup();
  t.throws(() => write('/agg/new_device', 'gpiochip9 0', alice), { code: 'ENOENT' });
  t.throws(() => write('/agg/delete_device', 'gpio-agg.x', bob), { code: 'EINVAL' });
  t.match(lastError(alice), /^new_device: .*gpiochip9.*\(ENOENT\)\n$/, 'alice sees hers');
  t.match(lastError(bob), /^delete_device: .*\(EINVAL\)\n$/, 'bob sees his');
  t.equal(lastError(ROOT), '', 'root failed nothing');
  t.equal(lastError(user(1001, 50, 777)), lastError(alice), 'by uid: another process or group of alice\'s sees the same');

  write('/agg/new_device', 'gpiochip0 1', bob);
  t.match(lastError(bob), /\(EINVAL\)/, 'a success keeps it');
  t.throws(() => write('/agg/delete_device', 'gpio-agg.0', alice), { code: 'EPERM' });
  t.match(lastError(alice), /^delete_device: gpio-agg\.0 belongs to another user \(EPERM\)\n$/, 'the EPERM of a refused deletion');
  t.match(lastError(bob), /\(EINVAL\)/, 'and bob\'s is untouched');
});

t.test('the unknown caller shares root\'s slot: through fuse-native there is one last_error, as before', async (t) => {
  const { write, lastError } = setup();
  t.throws(() => write('/agg/new_device', 'gpiochip9 0', UNKNOWN_CALLER), { code: 'ENOENT' });
  t.match(lastError(UNKNOWN_CALLER), /\(ENOENT\)/);
  t.equal(lastError(ROOT), lastError(UNKNOWN_CALLER));
});

t.test('failures of more users than are kept: the least recently failing are forgotten', async (t) => {
  const { write, lastError } = setup();
  const users = Array.from({ length: MAX_CALLERS + 10 }, (_, i) => user(20000 + i));
  for (const caller of users) t.throws(() => write('/agg/delete_device', `gpio-agg.${caller.uid}`, caller), { code: 'ENOENT' });
  for (const caller of users.slice(0, 10)) t.equal(lastError(caller), '', `uid ${caller.uid} forgotten`);
  for (const caller of users.slice(10)) t.match(lastError(caller), new RegExp(`gpio-agg\\.${caller.uid}`));
});

t.test('LastErrors: one entry per uid, at most the cap, messages cut', async (t) => {
  const errors = new LastErrors(3);
  const [a, b, c, d] = [user(1), user(2), user(3), user(4)];
  errors.record(a, 'a1\n');
  errors.record(b, 'b1\n');
  for (let i = 0; i < 1000; i += 1) errors.record(a, `a${i}\n`);
  t.equal(errors.size, 2, 'many failures of one user are one entry');
  t.equal(errors.of(a), 'a999\n');
  errors.record(c, 'c\n');
  errors.record(d, 'd\n');
  t.equal(errors.size, 3);
  t.equal(errors.of(b), '', 'b failed least recently: forgotten');
  t.equal(errors.of(a), 'a999\n', 'a failed after b: kept');
  errors.record(a, 'x'.repeat(100000));
  t.ok(errors.of(a).length <= MAX_MESSAGE, 'a long message is cut');
  t.ok(errors.of(a).endsWith('…\n'));
});
