import t from 'tap';
import { GpioAggError } from '../../lib/errors.js';
import { EventStream } from '../../lib/fs/event-stream.js';

const rising = (ns: number) => ({ timestampNs: BigInt(ns), type: 'rising' as const });
const falling = (ns: number) => ({ timestampNs: BigInt(ns), type: 'falling' as const });

t.test('a read waits for the first event and returns whole lines', async (t) => {
  const stream = new EventStream();
  const pending = stream.read(4096, false);
  t.ok(pending instanceof Promise, 'blocks while empty');
  stream.push(rising(10));
  stream.push(falling(20));
  t.equal((await pending).toString(), '10 rising\n');
  t.equal((stream.read(4096, false) as Buffer).toString(), '20 falling\n');
});

t.test('non-blocking read of an empty queue is EAGAIN', async (t) => {
  const stream = new EventStream();
  t.throws(() => stream.read(100, true), { code: 'EAGAIN' });
  stream.push(rising(1));
  t.equal((stream.read(100, true) as Buffer).toString(), '1 rising\n');
});

t.test('overflow drops the oldest and reports how many', async (t) => {
  const stream = new EventStream(3);
  for (let i = 1; i <= 5; i += 1) stream.push(rising(i));
  t.equal((stream.read(4096, false) as Buffer).toString(), 'overflow 2\n3 rising\n4 rising\n5 rising\n');
  stream.push(falling(6));
  t.equal((stream.read(4096, false) as Buffer).toString(), '6 falling\n', 'the notice is given once');
});

t.test('short reads split a line and continue where they stopped', async (t) => {
  const stream = new EventStream();
  stream.push(rising(123456));
  stream.push(falling(7));
  t.equal((stream.read(4, false) as Buffer).toString(), '1234');
  t.equal((stream.read(100, false) as Buffer).toString(), '56 rising\n7 falling\n');
});

t.test('a read stops at a line boundary when the next line does not fit', async (t) => {
  const stream = new EventStream();
  stream.push(rising(1));
  stream.push(rising(2));
  t.equal((stream.read(12, false) as Buffer).toString(), '1 rising\n');
  t.equal((stream.read(12, false) as Buffer).toString(), '2 rising\n');
});

t.test('end wakes waiting readers with end-of-file after the queue drains', async (t) => {
  const stream = new EventStream();
  const pending = stream.read(100, false);
  stream.end();
  t.equal((await pending).length, 0);
  const second = new EventStream();
  second.push(rising(1));
  second.end();
  second.push(rising(2));
  t.equal((second.read(100, false) as Buffer).toString(), '1 rising\n', 'queued events still delivered, later ones not');
  t.equal((second.read(100, false) as Buffer).length, 0);
});

t.test('interrupt fails waiting reads with EINTR and keeps events', async (t) => {
  const stream = new EventStream();
  const pending = stream.read(100, false);
  stream.interrupt();
  await t.rejects(pending as Promise<Buffer>, new GpioAggError('EINTR', 'read interrupted'));
  stream.push(rising(5));
  t.equal((stream.read(100, false) as Buffer).toString(), '5 rising\n');
});
