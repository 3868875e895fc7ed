import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { GPIOEVENT_DATA_SIZE, decodeGpioEvents, findNewEventFd, gpioEventFds } from '../../lib/gpio/edge-reader.js';

/** One struct gpioevent_data as the kernel writes it on this (little-endian) host. */
function record(timestampNs: bigint, id: number): Buffer {
  const buf = Buffer.alloc(GPIOEVENT_DATA_SIZE, 0xaa); // padding is not zeroed by contract
  buf.writeBigUInt64LE(timestampNs, 0);
  buf.writeUInt32LE(id, 8);
  return buf;
}

t.test('decodes rising and falling records in order', async (t) => {
  const buf = Buffer.concat([record(1_000n, 1), record(2_000n, 2), record(18_446_744_073_709_551_615n, 1)]);
  t.same(decodeGpioEvents(buf), [
    { timestampNs: 1_000n, type: 'rising' },
    { timestampNs: 2_000n, type: 'falling' },
    { timestampNs: 18_446_744_073_709_551_615n, type: 'rising' },
  ]);
});

t.test('honours the read length, not the buffer size', async (t) => {
  const buf = Buffer.alloc(GPIOEVENT_DATA_SIZE * 4);
  record(5n, 2).copy(buf, 0);
  t.same(decodeGpioEvents(buf, GPIOEVENT_DATA_SIZE), [{ timestampNs: 5n, type: 'falling' }]);
  t.same(decodeGpioEvents(buf, 0), []);
});

t.test('skips unknown ids and a partial trailing record', async (t) => {
  const buf = Buffer.concat([record(1n, 7), record(2n, 1), record(3n, 2).subarray(0, 10)]);
  t.same(decodeGpioEvents(buf), [{ timestampNs: 2n, type: 'rising' }]);
});

t.test('finds gpio event descriptors by link target', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'edge-reader-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  symlinkSync('anon_inode:gpio-event', join(dir, '7'));
  symlinkSync('anon_inode:gpio-linehandle', join(dir, '8'));
  symlinkSync('/dev/gpiochip0', join(dir, '9'));
  t.same([...gpioEventFds(dir)], [7]);
  symlinkSync('anon_inode:gpio-event', join(dir, '12'));
  t.equal(findNewEventFd(new Set([7]), dir), 12);
  // None new, or more than one new: the caller cannot know which is its own.
  t.throws(() => findNewEventFd(new Set([7, 12]), dir), { name: 'GpioAggError', code: 'EIO' });
  t.throws(() => findNewEventFd(new Set(), dir), { name: 'GpioAggError', code: 'EIO' });
});

t.test('this process has no gpio event descriptors to begin with', async (t) => {
  t.same([...gpioEventFds()], []);
});
