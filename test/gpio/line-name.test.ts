import t from 'tap';
import { decodeName, fromKernelText, GPIO_MAX_NAME_SIZE, kernelName } from '../../lib/gpio/line-name.js';

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

t.test('names that fit are kept whole, UTF-8 included', async (t) => {
  t.equal(kernelName('LED→'), 'LED→');
  const thirtyOne = 'a'.repeat(28) + '→';
  t.equal(bytes(thirtyOne), 31);
  t.equal(kernelName(thirtyOne), thirtyOne, '31 bytes: the most a field holds with its NUL');
});

t.test('longer names are cut to 31 bytes as strscpy does, without half a character', async (t) => {
  t.equal(kernelName('x'.repeat(40)), 'x'.repeat(GPIO_MAX_NAME_SIZE - 1));
  // 29 ASCII bytes + "→" (3 bytes): strscpy keeps 29 + 2 bytes of the arrow; the broken sequence goes.
  t.equal(kernelName(`${'b'.repeat(29)}→tail`), 'b'.repeat(29));
  t.equal(kernelName(`${'c'.repeat(30)}é`), 'c'.repeat(30), 'a 2-byte character cut after its first byte');
  t.equal(kernelName(`${'d'.repeat(28)}→é`), `${'d'.repeat(28)}→`, 'a character that ends at byte 31 stays');
  t.equal(kernelName(`${'e'.repeat(27)}😀z`), `${'e'.repeat(27)}😀`, 'a 4-byte character ending at byte 31 stays');
  t.equal(kernelName(`${'f'.repeat(28)}😀`), 'f'.repeat(28), 'a 4-byte character cut after 3 bytes');
  for (let pad = 0; pad < 8; pad += 1) {
    const cut = kernelName(`${'g'.repeat(pad)}${'→'.repeat(20)}`);
    t.ok(bytes(cut) <= 31 && !cut.includes('\uFFFD'), `never more than 31 bytes, never U+FFFD (pad ${pad})`);
  }
});

t.test('a kernel field: up to the NUL, an incomplete last sequence dropped', async (t) => {
  const field = Buffer.alloc(32);
  Buffer.from(`${'h'.repeat(29)}→`).copy(field, 0, 0, 31);
  t.equal(decodeName(field), 'h'.repeat(29));
  t.equal(decodeName(Buffer.from('LED→\0garbage')), 'LED→');
});

t.test('text a binding decoded from a cut field loses its U+FFFD, other text keeps it', async (t) => {
  const cut = Buffer.from(`${'i'.repeat(29)}→`).subarray(0, 31).toString('utf8');
  t.ok(cut.endsWith('\uFFFD'), 'a UTF-8 decoder turns the cut sequence into U+FFFD');
  t.equal(fromKernelText(cut), 'i'.repeat(29));
  t.equal(fromKernelText('short\uFFFD'), 'short\uFFFD', 'a short name was not cut: kept as it is');
  t.equal(fromKernelText('LED→'), 'LED→');
});
