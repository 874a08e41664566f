import { readdirSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import type { RegistrySettings } from '../model/inventory.js';
import { errorMessage } from './errors.js';

/** Docker's directory of per-registry TLS files: `<dir>/<host:port>/ca.crt`, `client.cert`, `client.key`. */
export const DEFAULT_CERTS_DIR = '/etc/docker/certs.d';

/** The TLS material for one registry, read; what `https.Agent` takes. */
export interface RegistryTlsFiles {
  ca?: Array<string | Buffer>;
  cert?: Buffer;
  key?: Buffer;
  /** Where each part came from, for messages. */
  from: string[];
}

const read = (file: string, what: string, registry: string): Buffer => {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`could not read ${what} ${file} for registry ${registry}: ${(error as { code?: string }).code ?? errorMessage(error)}`);
  }
};

/**
 * The registry's CA and client certificate: from the inventory (`registry_tls`, or `registry_ca`), else from its certs.d
 * directory as Docker reads it: every `*.crt` is a CA, a `NAME.cert` with its `NAME.key` is the client certificate. CAs are
 * trusted on top of the system's roots, as Docker does.
 */
export function registryTlsFiles(settings: RegistrySettings): RegistryTlsFiles {
  const files: RegistryTlsFiles = { from: [] };
  const { tls } = settings;
  if (tls?.ca !== undefined) {
    files.ca = [...rootCertificates, read(tls.ca, 'the registry CA', settings.name)];
    files.from.push(tls.ca);
  }
  if (tls?.cert !== undefined && tls.key !== undefined) {
    files.cert = read(tls.cert, 'the client certificate', settings.name);
    files.key = read(tls.key, 'the client key', settings.name);
    files.from.push(tls.cert);
  }
  if (files.ca !== undefined || files.cert !== undefined) return files;
  const dir = join(settings.certsDir ?? DEFAULT_CERTS_DIR, settings.name);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return files;
  }
  const cas = names.filter((n) => n.endsWith('.crt'));
  if (cas.length > 0) {
    files.ca = [...rootCertificates, ...cas.map((n) => read(join(dir, n), 'the registry CA', settings.name))];
    files.from.push(...cas.map((n) => join(dir, n)));
  }
  const cert = names.find((n) => n.endsWith('.cert') && names.includes(`${n.slice(0, -'.cert'.length)}.key`));
  if (cert !== undefined) {
    files.cert = read(join(dir, cert), 'the client certificate', settings.name);
    files.key = read(join(dir, `${cert.slice(0, -'.cert'.length)}.key`), 'the client key', settings.name);
    files.from.push(join(dir, cert));
  }
  return files;
}
