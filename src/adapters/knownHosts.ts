import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** One usable line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  /** `revoked` for `@revoked` lines; `@cert-authority` lines are not returned (freshen does not do host certificates). */
  marker?: 'revoked';
  /** Comma-separated patterns as written (`host`, `[host]:port`, `*.example.org`, `!bad.example.org`), or one hashed name. */
  patterns: string[];
  /** `|1|salt|hash` entry: salt and HMAC-SHA1 of the host name, both decoded. */
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  key: Buffer;
  /** 1-based line number, for messages. */
  line: number;
}

/** How a presented host key compares with known_hosts. */
export type HostKeyVerdict = 'match' | 'mismatch' | 'unknown' | 'revoked';

/** Parses known_hosts text; malformed and `@cert-authority` lines are ignored, as OpenSSH ignores what it cannot use. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const entry = parseLine(raw.trim(), index + 1);
    if (entry !== undefined) entries.push(entry);
  });
  return entries;
}

function parseLine(line: string, lineNumber: number): KnownHostEntry | undefined {
  if (line === '' || line.startsWith('#')) return undefined;
  const fields = line.split(/\s+/);
  let marker: KnownHostEntry['marker'];
  if (fields[0]?.startsWith('@')) {
    if (fields[0] !== '@revoked') return undefined;
    marker = 'revoked';
    fields.shift();
  }
  const [names, keyType, keyBase64] = fields;
  if (names === undefined || keyType === undefined || keyBase64 === undefined) return undefined;
  const key = Buffer.from(keyBase64, 'base64');
  if (key.length === 0) return undefined;
  const entry: KnownHostEntry = { patterns: names.split(','), keyType, key, line: lineNumber };
  if (marker !== undefined) entry.marker = marker;
  if (names.startsWith('|1|')) {
    const [, , salt, hash] = names.split('|');
    if (salt === undefined || hash === undefined) return undefined;
    entry.hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
  }
  return entry;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export const knownHostsName = (host: string, port = 22): string => (port === 22 ? host : `[${host}]:${port}`);

/** `*` and `?` wildcards, as in OpenSSH patterns. */
function globMatches(pattern: string, name: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 'i').test(name);
}

/** Whether a line applies to `name`: a hashed name matches by HMAC; a negated pattern that matches excludes the line. */
export function entryMatchesHost(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed !== undefined) {
    const digest = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return digest.length === entry.hashed.hash.length && timingSafeEqual(digest, entry.hashed.hash);
  }
  let matched = false;
  for (const pattern of entry.patterns) {
    if (pattern.startsWith('!')) {
      if (globMatches(pattern.slice(1), name)) return false;
    } else if (globMatches(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/** Key types known for a host, so the client can ask the server for one of those first (as OpenSSH does). */
export function knownKeyTypes(knownHostsText: string, host: string, port = 22): string[] {
  const name = knownHostsName(host, port);
  const types = parseKnownHosts(knownHostsText)
    .filter((entry) => entry.marker === undefined && entryMatchesHost(entry, name))
    .map((entry) => entry.keyType);
  return [...new Set(types)];
}

/**
 * Compares a presented host key with known_hosts, like OpenSSH: a revoked key is refused whatever else is listed; a listed key of
 * the same type that differs is a mismatch; no line for the host and key type is unknown.
 */
export function verifyHostKey(knownHostsText: string, host: string, port: number, keyType: string, keyBlob: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const entries = parseKnownHosts(knownHostsText).filter((entry) => entryMatchesHost(entry, name));
  if (entries.some((entry) => entry.marker === 'revoked' && entry.key.equals(keyBlob))) return 'revoked';
  const sameType = entries.filter((entry) => entry.marker === undefined && entry.keyType === keyType);
  if (sameType.some((entry) => entry.key.equals(keyBlob))) return 'match';
  return sameType.length > 0 ? 'mismatch' : 'unknown';
}

/** The key type written inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOfBlob(keyBlob: Buffer): string | undefined {
  if (keyBlob.length < 4) return undefined;
  const length = keyBlob.readUInt32BE(0);
  if (length === 0 || 4 + length > keyBlob.length) return undefined;
  return keyBlob.subarray(4, 4 + length).toString('latin1');
}

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export const fingerprint = (keyBlob: Buffer): string => `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
