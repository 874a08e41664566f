// Certificates for TLS tests, made here with openssl: a private CA, a server certificate for one IP address, a client certificate.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const openssl = (dir: string, ...args: string[]) => promisify(execFile)('openssl', args, { cwd: dir });

/**
 * Writes into `dir`: ca.pem/ca.key, server.pem/server.key (CN and SAN `serverAddress`), client.pem/client.key (CN `clientName`),
 * each valid for two days.
 */
export async function makeCertificates(dir: string, clientName = 't-adapters-client', serverAddress = '127.0.0.1'): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(dir, 'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=t-adapters-ca', '-days', '2');
  await writeFile(join(dir, 'server.ext'), `subjectAltName=IP:${serverAddress}\n`);
  for (const [name, cn, ext] of [
    ['server', serverAddress, ['-extfile', 'server.ext']],
    ['client', clientName, []],
  ] as const) {
    await openssl(dir, 'req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    await openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      ...ext,
    );
  }
}
