import { createHash, type Hash } from 'node:crypto';

// What a layer's tar says it writes and deletes, read as the bytes stream by, so a layer of any size is listed in bounded
// memory: each entry's path, kind, mode, owner and, for a file, the sha256 of its content (what "changed" is judged by).
// Whiteouts (`.wh.NAME`, and `.wh..wh..opq` for an opaque directory) are deletions, as the OCI image spec defines them. Pure.

export type LayerEntry =
  | { path: string; kind: 'file'; mode: number; owner: string; digest: string }
  | { path: string; kind: 'dir'; mode: number; owner: string }
  | { path: string; kind: 'symlink' | 'hardlink'; mode: number; owner: string; target: string }
  | { path: string; kind: 'other'; mode: number; owner: string; type: string }
  /** `.wh.NAME`: NAME and everything below it are removed. */
  | { path: string; kind: 'whiteout' }
  /** `.wh..wh..opq` in a directory: everything the layers below put in it is removed. */
  | { path: string; kind: 'opaque' };

/** A path as the tree knows it: no leading `./` or `/`, no trailing `/`. */
export const normalPath = (path: string): string => path.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');

const field = (header: Buffer, start: number, length: number): string =>
  header
    .subarray(start, start + length)
    .toString('utf8')
    .replace(/\0.*$/s, '');
const octal = (header: Buffer, start: number, length: number): number => parseInt(field(header, start, length).trim() || '0', 8);

/** Most bytes of file content a lister keeps (a Debian base's dpkg status is about 1 MiB; a peer's layer may claim anything). */
const MAX_KEPT_BYTES = 32 << 20;

/**
 * Reads tar bytes as they come (`push`), and the entries once they are all there (`end`). The content of the files named in
 * `keep` (normal paths) is kept too (`kept`): the package database and os-release a rebase makes its SBOM from.
 */
export class LayerLister {
  private readonly entries: LayerEntry[] = [];
  /** Content of the kept files, by path; a path the layer writes twice keeps its last content. */
  readonly kept = new Map<string, Buffer>();
  private keptBytes = 0;

  constructor(private readonly keep: ReadonlySet<string> = new Set()) {}

  private buffered: Buffer = Buffer.alloc(0);
  /** The entry whose body is being read: bytes left of it (and of its padding), and what it becomes. */
  private body?: { left: number; padding: number; hash?: Hash; chunks?: Buffer[]; finish: (content?: Buffer) => void };
  private pax: Record<string, string> = {};
  private longName?: string;
  private longLink?: string;
  private done = false;

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (!this.done) {
      if (this.body !== undefined) {
        if (!this.readBody()) return;
        continue;
      }
      if (this.buffered.length < 512) return;
      const header = this.buffered.subarray(0, 512);
      this.buffered = this.buffered.subarray(512);
      if (header.every((b) => b === 0)) {
        this.done = true;
        return;
      }
      this.header(header);
    }
  }

  /** The entries, in the order the layer has them; throws when the archive ended inside an entry. */
  end(): LayerEntry[] {
    if (this.body !== undefined && this.body.left > 0) throw new Error('the layer ended inside an entry');
    return this.entries;
  }

  private readBody(): boolean {
    const body = this.body!;
    if (body.left > 0) {
      const take = Math.min(body.left, this.buffered.length);
      const part = this.buffered.subarray(0, take);
      body.hash?.update(part);
      body.chunks?.push(Buffer.from(part));
      body.left -= take;
      this.buffered = this.buffered.subarray(take);
      if (body.left > 0) return false;
    }
    if (this.buffered.length < body.padding) return false;
    this.buffered = this.buffered.subarray(body.padding);
    this.body = undefined;
    body.finish(body.chunks === undefined ? undefined : Buffer.concat(body.chunks));
    return true;
  }

  private header(header: Buffer): void {
    const type = String.fromCharCode(header[156]!) || '0';
    const size = this.pax.size !== undefined ? Number(this.pax.size) : octal(header, 124, 12);
    const prefix = field(header, 345, 155);
    const name = this.pax.path ?? this.longName ?? (prefix !== '' ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    const link = this.pax.linkpath ?? this.longLink ?? field(header, 157, 100);
    const mode = octal(header, 100, 8) & 0o7777;
    const owner = `${this.pax.uid ?? octal(header, 108, 8)}:${this.pax.gid ?? octal(header, 116, 8)}`;
    const padding = (512 - (size % 512)) % 512;
    // Headers that describe the next entry: their bodies are read whole (they are small), then applied.
    if (type === 'x' || type === 'L' || type === 'K') {
      this.body = {
        left: size,
        padding,
        chunks: [],
        finish: (content) => {
          const text = content!.toString('utf8');
          if (type === 'x') this.pax = paxRecords(text);
          else if (type === 'L') this.longName = text.replace(/\0.*$/s, '');
          else this.longLink = text.replace(/\0.*$/s, '');
        },
      };
      return;
    }
    this.pax = {};
    this.longName = undefined;
    this.longLink = undefined;
    const path = normalPath(name);
    const base = path.slice(path.lastIndexOf('/') + 1);
    const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    let entry: LayerEntry | undefined;
    if (base === '.wh..wh..opq') entry = { path: dir, kind: 'opaque' };
    else if (base.startsWith('.wh.')) entry = { path: dir === '' ? base.slice(4) : `${dir}/${base.slice(4)}`, kind: 'whiteout' };
    else if (type === '5') entry = { path, kind: 'dir', mode, owner };
    else if (type === '2') entry = { path, kind: 'symlink', mode, owner, target: link };
    else if (type === '1') entry = { path, kind: 'hardlink', mode, owner, target: normalPath(link) };
    else if (type !== '0' && type !== '7') entry = { path, kind: 'other', mode, owner, type };
    const whiteout = entry?.kind === 'whiteout' || entry?.kind === 'opaque';
    if ((type === '0' || type === '7') && !whiteout) {
      const hash = createHash('sha256');
      const keep = this.keep.has(path);
      if (keep && this.keptBytes + size > MAX_KEPT_BYTES) throw new Error(`${path} in the layer is ${size} bytes, more than can be read`);
      this.body = {
        left: size,
        padding,
        hash,
        ...(keep ? { chunks: [] } : {}),
        finish: (content) => {
          this.entries.push({ path, kind: 'file', mode, owner, digest: `sha256:${hash.digest('hex')}` });
          if (content !== undefined) {
            this.keptBytes += content.length;
            this.kept.set(path, content);
          }
        },
      };
      return;
    }
    if (entry !== undefined && (path !== '' || entry.kind === 'opaque')) this.entries.push(entry);
    if (size > 0) this.body = { left: size, padding, finish: () => undefined };
  }
}

/** `LEN key=value\n` records of a pax extended header. */
function paxRecords(text: string): Record<string, string> {
  const records: Record<string, string> = {};
  for (const match of text.matchAll(/\d+ ([^=\n]+)=([^\n]*)\n/g)) records[match[1]!] = match[2]!;
  return records;
}

/** Lists a whole layer held in memory (tests and small layers). */
export function listLayer(tar: Buffer): LayerEntry[] {
  const lister = new LayerLister();
  lister.push(tar);
  return lister.end();
}
