import t from 'tap';
import { GpioAggError } from '../../lib/errors.js';
import { EventHistory, EventReader } from '../../lib/fs/event-history.js';

const rising = (ns: number) => ({ timestampNs: BigInt(ns), type: 'rising' as const });
const falling = (ns: number) => ({ timestampNs: BigInt(ns), type: 'falling' as const });
const text = (data: Buffer | Promise<Buffer>): string => (data as Buffer).toString();

t.test('a read waits for the first event and returns whole lines', async (t) => {
  const history = new EventHistory();
  const reader = history.reader();
  const pending = reader.read(4096, false);
  t.ok(pending instanceof Promise, 'blocks while empty');
  history.push(rising(10));
  history.push(falling(20));
  t.equal((await pending).toString(), '10 rising\n');
  t.equal(text(reader.read(4096, false)), '20 falling\n');
});

t.test('non-blocking read of an empty position is EAGAIN', async (t) => {
  const history = new EventHistory();
  const reader = history.reader();
  t.throws(() => reader.read(100, true), { code: 'EAGAIN' });
  history.push(rising(1));
  t.equal(text(reader.read(100, true)), '1 rising\n');
});

t.test('a reader starts empty at open: it sees only later events', async (t) => {
  const history = new EventHistory();
  const early = history.reader();
  history.push(rising(1));
  const late = history.reader();
  history.push(falling(2));
  t.equal(text(early.read(100, true)), '1 rising\n2 falling\n');
  t.equal(text(late.read(100, true)), '2 falling\n');
});

t.test('a reader further behind than the history gets "overflow N" with the events it lost', async (t) => {
  const history = new EventHistory(3);
  const behind = history.reader();
  const upToDate = history.reader();
  for (let i = 1; i <= 5; i += 1) {
    history.push(rising(i));
    t.equal(text(upToDate.read(100, true)), `${i} rising\n`, 'a reader that keeps up loses nothing');
  }
  t.equal(text(behind.read(4096, false)), 'overflow 2\n3 rising\n4 rising\n5 rising\n');
  history.push(falling(6));
  t.equal(text(behind.read(4096, false)), '6 falling\n', 'the notice is given once');
  for (let i = 7; i <= 16; i += 1) history.push(rising(i));
  t.equal(text(behind.read(4096, false)), 'overflow 7\n14 rising\n15 rising\n16 rising\n', 'counted again after more losses');
});

t.test('short reads split a line and continue where they stopped', async (t) => {
  const history = new EventHistory();
  const reader = history.reader();
  history.push(rising(123456));
  history.push(falling(7));
  t.equal(text(reader.read(4, false)), '1234');
  t.equal(text(reader.read(100, false)), '56 rising\n7 falling\n');
});

t.test('a read stops at a line boundary when the next line does not fit', async (t) => {
  const history = new EventHistory();
  const reader = history.reader();
  history.push(rising(1));
  history.push(rising(2));
  t.equal(text(reader.read(12, false)), '1 rising\n');
  t.equal(text(reader.read(12, false)), '2 rising\n');
});

t.test('end wakes waiting readers with end-of-file after what is kept was read', async (t) => {
  const history = new EventHistory();
  const reader = history.reader();
  const pending = reader.read(100, false);
  history.end();
  t.equal((await pending).length, 0);
  const second = new EventHistory();
  const kept = second.reader();
  second.push(rising(1));
  second.end();
  second.push(rising(2));
  t.equal(text(kept.read(100, false)), '1 rising\n', 'kept events still delivered, later ones not');
  t.equal(text(kept.read(100, false)), '');
  t.equal(text(second.reader().read(100, true)), '', 'a reader of an ended history gets end-of-file, not EAGAIN');
});

t.test('close answers a waiting read with end-of-file', async (t) => {
  const history = new EventHistory();
  const reader = history.reader();
  const pending = reader.read(100, false);
  reader.close();
  t.equal((await pending).length, 0);
});

t.test('interrupt fails the waiting reads of that reader with EINTR and keeps events', async (t) => {
  const history = new EventHistory();
  const reader = history.reader();
  const other = history.reader();
  const pending = reader.read(100, false);
  const otherPending = other.read(100, false);
  reader.interrupt();
  await t.rejects(pending as Promise<Buffer>, new GpioAggError('EINTR', 'read interrupted'));
  history.push(rising(5));
  t.equal(text(reader.read(100, false)), '5 rising\n');
  t.equal((await otherPending).toString(), '5 rising\n', 'another reader was not interrupted');
});

t.test('an aborted read ends alone with EINTR; other reads, even of the same reader, go on', async (t) => {
  const history = new EventHistory();
  const reader = history.reader();
  const other = history.reader();
  const controller = new AbortController();
  const aborted = reader.read(100, false, controller.signal);
  const sameReader = reader.read(100, false, new AbortController().signal);
  const otherRead = other.read(100, false, new AbortController().signal);
  controller.abort();
  await t.rejects(aborted as Promise<Buffer>, { code: 'EINTR' });
  history.push(rising(9));
  t.equal((await sameReader).toString(), '9 rising\n');
  t.equal((await otherRead).toString(), '9 rising\n');
  t.throws(() => reader.read(100, false, controller.signal), { code: 'EINTR' }, 'an already aborted signal fails at once');
});

t.test('readable() and onReadable(): something to read or end-of-file', async (t) => {
  const history = new EventHistory();
  const reader = history.reader();
  t.equal(reader.readable(), false);
  let woken = 0;
  reader.onReadable(() => { woken += 1; });
  history.push(rising(1));
  t.equal(woken, 1, 'woken when an event arrives');
  t.equal(reader.readable(), true);
  history.push(rising(2));
  t.equal(woken, 1, 'once');
  await new Promise<void>((resolve) => reader.onReadable(resolve));
  t.pass('already readable: called on a microtask');
  reader.read(100, true);
  t.equal(reader.readable(), false, 'read out');
  const cancel = reader.onReadable(() => { woken += 1; });
  cancel();
  history.push(rising(3));
  t.equal(woken, 1, 'a cancelled callback is not called');
  reader.read(100, true);
  let ended = false;
  reader.onReadable(() => { ended = true; });
  history.end();
  t.ok(ended && reader.readable(), 'end-of-file is readable');
});

t.test('an edge touches only waiting readers, not idle ones, and memory is one history', async (t) => {
  const history = new EventHistory(16);
  const idle: EventReader[] = Array.from({ length: 3000 }, () => history.reader());
  const waiting = history.reader();
  const wake = EventReader.prototype.wake;
  let wakes = 0;
  EventReader.prototype.wake = function counted(this: EventReader) {
    wakes += 1;
    wake.call(this);
  };
  t.teardown(() => { EventReader.prototype.wake = wake; });
  const pending = waiting.read(100, false);
  for (let i = 1; i <= 100; i += 1) history.push(rising(i));
  t.equal(wakes, 1, 'one wake: the one blocked reader, for the first edge only');
  t.equal((await pending).toString(), '1 rising\n', 'answered with what there was');
  const notices = new Set(idle.map((reader) => text(reader.read(20, true))));
  t.same([...notices], ['overflow 84\n'], 'every idle reader is told what it lost');
  t.equal(text(idle[0]?.read(4096, true) ?? Buffer.alloc(0)).split('\n').length - 1, 16, 'then the 16 kept');
});
