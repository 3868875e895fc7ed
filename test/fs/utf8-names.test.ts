import { constants } from 'node:fs';
import t from 'tap';
import { Registry } from '../../lib/aggregator/registry.js';
import { FsOperations } from '../../lib/fs/operations.js';
import { Tree } from '../../lib/fs/tree.js';
import { parseBoard } from '../../lib/gpio/board.js';
import { SimBackend } from '../../lib/gpio/sim-backend.js';
import { ROOT } from '../helpers/callers.js';

const LONG = `${'b'.repeat(29)}→tail`;

function setup() {
  const sim = new SimBackend(parseBoard({
    chips: [{ label: 'pins→', lines: 4, names: { 0: 'LED→', 1: 'Schalter-ä', 2: LONG, 3: 'status led' } }],
  }, 'board.json'));
  const registry = new Registry(sim);
  return { sim, ops: new FsOperations(new Tree(registry, sim)) };
}

function write(ops: FsOperations, path: string, data: Buffer): void {
  const handle = ops.open(path, constants.O_WRONLY, ROOT);
  try {
    ops.write(handle, data, 0, ROOT);
  } finally {
    ops.release(handle);
  }
}

function read(ops: FsOperations, path: string): Buffer {
  const handle = ops.open(path, constants.O_RDONLY, ROOT);
  try {
    return ops.read(handle, 4096, 0, ROOT) as Buffer;
  } finally {
    ops.release(handle);
  }
}

t.test('a UTF-8 line name resolves in a spec and reads back as the same UTF-8 bytes', async (t) => {
  const { ops } = setup();
  write(ops, '/agg/new_device', Buffer.from('LED→ Schalter-ä\n', 'utf8'));
  t.same(read(ops, '/gpio-agg.0/line0/name'), Buffer.from('LED→\n', 'utf8'), 'not Latin-1 (LED\\x92)');
  t.same(read(ops, '/gpio-agg.0/line1/name'), Buffer.from('Schalter-ä\n', 'utf8'));
  t.equal(read(ops, '/gpio-agg.0/spec').toString('utf8'), 'gpiochip0 0-1\n', 'the names resolved to their lines');
});

t.test('a name longer than the kernel field is served cut as the kernel cuts it, on a character boundary', async (t) => {
  const { ops, sim } = setup();
  const served = 'b'.repeat(29);
  t.equal(sim.listChips()[0]?.lineNames[2], served);
  t.equal(sim.lineInfo('gpiochip0')[2]?.name, served);
  write(ops, '/agg/new_device', Buffer.from(served));
  t.same(read(ops, '/gpio-agg.0/line0/name'), Buffer.from(`${served}\n`));
  t.throws(() => write(ops, '/agg/new_device', Buffer.from(LONG)), { code: 'ENOENT' }, 'the uncut name is not the line\'s name, as with the kernel');
});

t.test('a name in Latin-1 bytes is no line\'s name (ENOENT), not a guess at one', async (t) => {
  const { ops } = setup();
  t.throws(() => write(ops, '/agg/new_device', Buffer.from([0x4c, 0x45, 0x44, 0x92, 0x0a])), { code: 'ENOENT' });
  t.same(ops.readdir('/').filter((name) => name.startsWith('gpio-agg.')), [], 'nothing created');
});
