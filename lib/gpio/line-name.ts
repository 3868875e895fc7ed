/**
 * Names in the GPIO uAPI (line names, consumers, chip labels) live in fixed
 * 32-byte fields: the kernel copies them with strscpy, so a longer name comes
 * out as its first 31 bytes — cut without regard to UTF-8. Names are UTF-8
 * here, so what is served is those bytes with a sequence the cut left
 * incomplete dropped: never half a character, never U+FFFD for one.
 */
export const GPIO_MAX_NAME_SIZE = 32;

/** The name as a kernel field holds it, read back as text. */
export function kernelName(name: string): string {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length < GPIO_MAX_NAME_SIZE) return name;
  return decodeName(bytes.subarray(0, GPIO_MAX_NAME_SIZE - 1));
}

/** A name field's bytes as text: up to the first NUL, UTF-8, an incomplete last sequence dropped. */
export function decodeName(field: Buffer): string {
  const nul = field.indexOf(0);
  const bytes = nul < 0 ? field : field.subarray(0, nul);
  return bytes.subarray(0, completeLength(bytes)).toString('utf8');
}

/**
 * A name as a binding decoded it from a (possibly cut) kernel field: the
 * decoder turned an incomplete last sequence into U+FFFD, which is dropped
 * when the field was full (a cut can only happen there).
 */
export function fromKernelText(text: string): string {
  if (!text.endsWith('\uFFFD')) return text;
  const kept = text.slice(0, -1);
  const keptBytes = Buffer.byteLength(kept, 'utf8');
  // The cut left 1 to 3 bytes of the last character: the field was full (31 bytes).
  return keptBytes >= GPIO_MAX_NAME_SIZE - 1 - 3 && keptBytes < GPIO_MAX_NAME_SIZE - 1 ? kept : text;
}

/** How many leading bytes of `bytes` end on a character boundary. */
function completeLength(bytes: Buffer): number {
  let lead = bytes.length - 1;
  // Step back over at most 3 continuation bytes (10xxxxxx) to the sequence's lead byte.
  while (lead >= 0 && bytes.length - lead <= 3 && ((bytes[lead] as number) & 0xc0) === 0x80) lead -= 1;
  if (lead < 0) return bytes.length;
  const first = bytes[lead] as number;
  const needed = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
  return bytes.length - lead < needed ? lead : bytes.length;
}
