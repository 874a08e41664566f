/**
 * The byte offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, nothing past
 * U+10FFFF), or undefined when all of `bytes` is UTF-8. Node's decoder would silently turn such bytes into U+FFFD.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number | undefined {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    const [length, low, high] =
      lead >= 0xc2 && lead <= 0xdf
        ? [2, 0x80, 0xbf]
        : lead >= 0xe0 && lead <= 0xef
          ? [3, ...secondOf3(lead)]
          : lead >= 0xf0 && lead <= 0xf4
            ? [4, ...secondOf4(lead)]
            : [0, 0, 0];
    if (length === 0) return i;
    for (let k = 1; k < length; k += 1) {
      const byte = bytes[i + k];
      const [min, max] = k === 1 ? [low, high] : [0x80, 0xbf];
      if (byte === undefined || byte < min || byte > max) return i;
    }
    i += length;
  }
  return undefined;
}

/** The allowed range of the second byte after a three-byte lead (E0 excludes overlongs, ED excludes surrogates). */
const secondOf3 = (lead: number): [number, number] => (lead === 0xe0 ? [0xa0, 0xbf] : lead === 0xed ? [0x80, 0x9f] : [0x80, 0xbf]);
/** The same for four-byte leads (F0 excludes overlongs, F4 stops at U+10FFFF). */
const secondOf4 = (lead: number): [number, number] => (lead === 0xf0 ? [0x90, 0xbf] : lead === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf]);

/** 1-based line and column (in characters) of byte `offset`, counting only the valid text before it. */
export function positionOf(bytes: Uint8Array, offset: number): { line: number; col: number; sourceLine: string } {
  const before = Buffer.from(bytes.subarray(0, offset)).toString('utf8');
  const lineStart = before.lastIndexOf('\n') + 1;
  const lineEnd = bytes.indexOf(0x0a, offset);
  const rest = Buffer.from(bytes.subarray(offset, lineEnd === -1 ? bytes.length : lineEnd)).toString('utf8');
  return { line: before.split('\n').length, col: before.length - lineStart + 1, sourceLine: before.slice(lineStart) + rest };
}
