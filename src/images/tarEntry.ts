/** The one entry of a single-path tar archive, as the engine's `GET /containers/{id}/archive` returns it. */
export type TarEntry = { type: 'file'; content: Buffer } | { type: 'symlink'; target: string } | { type: 'other' };

const field = (header: Buffer, start: number, length: number): string =>
  header
    .subarray(start, start + length)
    .toString('utf8')
    .replace(/\0.*$/s, '');

/**
 * Reads the first real entry of a tar archive (ustar, with pax or GNU long-name headers skipped): enough for one file,
 * so no tar package is needed for it.
 */
export function firstTarEntry(archive: Buffer): TarEntry | undefined {
  let offset = 0;
  let paxLinkPath: string | undefined;
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) return undefined;
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156]!);
    const body = archive.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      paxLinkPath = /\d+ linkpath=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
      continue;
    }
    if (type === 'g' || type === 'L' || type === 'K') continue;
    if (type === '0' || type === '\0' || type === '7') return { type: 'file', content: Buffer.from(body) };
    if (type === '2') return { type: 'symlink', target: paxLinkPath ?? field(header, 157, 100) };
    return { type: 'other' };
  }
  return undefined;
}

/** Where a symlink at `path` points, as an absolute path inside the image. */
export function resolveLink(path: string, target: string): string {
  const parts = target.startsWith('/') ? [] : path.split('/').slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.filter((p) => p !== '').join('/')}`;
}
