import fc from 'fast-check';
import t from 'tap';
import * as abi from '../../lib/fuse/kernel-abi.js';
import { encodeError } from '../../lib/fuse/reply.js';
import { decodeRequest } from '../../lib/fuse/request.js';

const OPCODES = Object.entries(abi).filter(([name, value]) => /^FUSE_[A-Z0-9_]+$/.test(name) && typeof value === 'number' && value > 0 && value < 100 && !name.endsWith('_SIZE') && !name.startsWith('FUSE_NOTIFY'))
  .map(([, value]) => value as number);

/** A header with this opcode and a body of random bytes, len set to match (or not). */
const requests = fc.record({
  opcode: fc.oneof(fc.constantFrom(...OPCODES), fc.integer({ min: 0, max: 0xffffffff })),
  unique: fc.integer({ min: 0, max: 2 ** 52 }),
  body: fc.uint8Array({ maxLength: 200 }),
  lenMatches: fc.boolean(),
  extlen: fc.integer({ min: 0, max: 40 }),
}).map(({ opcode, unique, body, lenMatches, extlen }) => {
  const buffer = Buffer.alloc(abi.FUSE_IN_HEADER_SIZE + body.length);
  buffer.writeUInt32LE(lenMatches ? buffer.length : (buffer.length * 7 + 1) >>> 0, 0);
  buffer.writeUInt32LE(opcode >>> 0, 4);
  buffer.writeBigUInt64LE(BigInt(unique), 8);
  buffer.writeUInt16LE(extlen % 3 === 0 ? extlen : 0, 36);
  Buffer.from(body).copy(buffer, abi.FUSE_IN_HEADER_SIZE);
  return { buffer, unique };
});

t.test('any request: decoded or refused with an errno, never a throw', async (t) => {
  fc.assert(fc.property(requests, ({ buffer, unique }) => {
    const result = decodeRequest(buffer);
    if (result.op !== 'MALFORMED') return result.header.unique === unique;
    // A refused request is answered: a 16-byte fuse_out_header with a negative errno for its unique.
    const reply = encodeError(result.unique as number, result.errno === 'EIO' ? 5 : 22);
    return result.unique === unique && reply.length === 16 && reply.readInt32LE(4) < 0
      && Number(reply.readBigUInt64LE(8)) === unique;
  }), { numRuns: 5000 });
  t.pass('5000 generated requests');
});

t.test('every prefix of a well-formed request, with len adjusted, is decoded or refused', async (t) => {
  const wellFormed = fc.record({
    opcode: fc.constantFrom(...OPCODES),
    body: fc.uint8Array({ minLength: 0, maxLength: 120 }),
  });
  fc.assert(fc.property(wellFormed, fc.nat(), ({ opcode, body }, cut) => {
    const full = Buffer.alloc(abi.FUSE_IN_HEADER_SIZE + body.length);
    full.writeUInt32LE(opcode, 4);
    full.writeBigUInt64LE(10n, 8);
    Buffer.from(body).copy(full, abi.FUSE_IN_HEADER_SIZE);
    const truncated = full.subarray(0, cut % (full.length + 1));
    if (truncated.length >= 4) truncated.writeUInt32LE(truncated.length, 0);
    const result = decodeRequest(truncated);
    if (truncated.length < 16) return result.op === 'MALFORMED' && result.unique === undefined;
    return result.op !== 'MALFORMED' || result.unique === 10;
  }), { numRuns: 5000 });
  t.pass('5000 generated requests');
});

t.test('a buffer shorter than the header cannot be answered; one with a unique can', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: abi.FUSE_IN_HEADER_SIZE - 1 }), (bytes) => {
    const result = decodeRequest(Buffer.from(bytes));
    return result.op === 'MALFORMED' && (bytes.length < 16) === (result.unique === undefined);
  }));
  t.pass('generated short buffers');
});
