/**
 * Turns the body of `GET /containers/{id}/logs` into text. Without a TTY Docker multiplexes stdout and stderr in frames
 * (1 byte stream, 3 zero bytes, 4 bytes big-endian length, payload); with a TTY the body is the raw output.
 */
export function demuxLogs(body: Buffer | string, tty: boolean): string {
  const buffer = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (tty || !looksMultiplexed(buffer)) return buffer.toString('utf8');
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

const looksMultiplexed = (buffer: Buffer): boolean => buffer.length >= 8 && buffer[0]! <= 2 && buffer[1] === 0 && buffer[2] === 0 && buffer[3] === 0;

/** The last `count` non-empty lines of some output. */
export function lastLines(text: string, count: number): string[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  return lines.slice(Math.max(0, lines.length - count));
}
