import t from 'tap';
import { AttributeFile } from '../../lib/fs/attribute-file.js';
import { ROOT } from '../helpers/callers.js';

const options = { read: true, write: true, nonBlocking: false };

t.test('reads at offset 0 render afresh; later offsets continue', async (t) => {
  let state = 'in';
  const file = new AttributeFile(0o644, { show: () => `${state}\n`, store: (text) => { state = text.trim(); } });
  const open = file.open(options);
  t.equal((open.read(2, 0, ROOT) as Buffer).toString(), 'in');
  state = 'out';
  t.equal((open.read(10, 2, ROOT) as Buffer).toString(), '\n', 'same rendering while reading on');
  t.equal((open.read(10, 0, ROOT) as Buffer).toString(), 'out\n');
  t.equal(file.stat().size, 4096, 'sysfs-like size');
});

t.test('writes take at most one page; missing accessors are EBADF', async (t) => {
  const stored: string[] = [];
  const writeOnly = new AttributeFile(0o200, { store: (text) => stored.push(text) });
  const open = writeOnly.open(options);
  t.equal(open.write(Buffer.from('abc'), 0, ROOT), 3);
  t.throws(() => open.write(Buffer.alloc(4097, 0x31), 0, ROOT), { code: 'EINVAL' });
  t.same(stored, ['abc']);
  t.throws(() => open.read(10, 0, ROOT), { code: 'EBADF' });
  const readOnly = new AttributeFile(0o444, { show: () => 'x\n' }).open(options);
  t.throws(() => readOnly.write(Buffer.from('1'), 0, ROOT), { code: 'EBADF' });
  t.equal(writeOnly.readable, false);
  t.equal(writeOnly.writable, true);
});
