import { describe, expect, it } from 'vitest';
import { buildProgressLine, failureTail, foldBuildOutput, foldTransferOutput, withEngineTlsHint } from '../../src/adapters/engineOutput.js';
import { buildImageOptions, buildRegistryConfig, registryAuth } from '../../src/adapters/engineImages.js';

const ID = `sha256:${'a'.repeat(64)}`;
const DIGEST = `sha256:${'d'.repeat(64)}`;

describe('foldBuildOutput', () => {
  it('finds the built image and keeps the output lines', () => {
    expect(
      foldBuildOutput([
        { stream: 'Step 1/2 : FROM scratch\n' },
        { stream: ' ---> \n' },
        { stream: 'Step 2/2 : COPY x /x\n ---> 1234\n' },
        { aux: { ID } },
        { stream: 'Successfully built 1234\n' },
      ]),
    ).toEqual({ imageId: ID, lines: ['Step 1/2 : FROM scratch', ' --->', 'Step 2/2 : COPY x /x', ' ---> 1234', 'Successfully built 1234'] });
  });

  it('reports the error and no image when the build failed', () => {
    const outcome = foldBuildOutput([
      { stream: 'Step 1/2 : FROM scratch\n' },
      { stream: 'Step 2/2 : RUN false\n' },
      { error: 'short', errorDetail: { message: "The command '/bin/sh -c false' returned a non-zero code: 1" } },
    ]);
    expect(outcome).toEqual({
      error: "The command '/bin/sh -c false' returned a non-zero code: 1",
      lines: ['Step 1/2 : FROM scratch', 'Step 2/2 : RUN false'],
    });
    expect(failureTail(outcome)).toBe('Step 1/2 : FROM scratch\nStep 2/2 : RUN false');
  });

  it('keeps only the last lines for the failure reason', () => {
    const lines = Array.from({ length: 40 }, (_, i) => ({ stream: `line ${i}\n` }));
    expect(failureTail(foldBuildOutput(lines)).split('\n')).toEqual(Array.from({ length: 15 }, (_, i) => `line ${25 + i}`));
  });
});

describe('foldTransferOutput', () => {
  it.each([
    {
      name: 'a push with its digest line and aux',
      messages: [{ status: 'The push refers to repository [r/x]' }, { status: `prod: digest: ${DIGEST} size: 528` }, { aux: { Tag: 'prod', Digest: DIGEST } }],
      outcome: { digest: DIGEST },
    },
    {
      name: 'a pull',
      messages: [{ status: 'Pulling from x' }, { status: `Digest: ${DIGEST}` }, { status: 'Status: Image is up to date' }],
      outcome: { digest: DIGEST },
    },
    {
      name: 'an error',
      messages: [{ status: 'Pushing' }, { error: 'x', errorDetail: { message: 'unauthorized: authentication required' } }],
      outcome: { error: 'unauthorized: authentication required' },
    },
    { name: 'an error without detail', messages: [{ error: 'manifest unknown' }], outcome: { error: 'manifest unknown' } },
    { name: 'nothing said', messages: [], outcome: {} },
  ])('$name', ({ messages, outcome }) => {
    expect(foldTransferOutput(messages)).toEqual(outcome);
  });
});

describe('buildProgressLine', () => {
  it.each([
    [{ stream: 'Step 3/7 : RUN apk upgrade\n' }, 'Step 3/7 : RUN apk upgrade'],
    [{ stream: ' ---> Running in 1234\n' }, undefined],
    [{ aux: { ID } }, undefined],
  ])('%j', (message, line) => {
    expect(buildProgressLine(message)).toBe(line);
  });
});

describe('registry credentials for the engine', () => {
  const open = { name: '127.0.0.1:5055', url: 'http://127.0.0.1:5055' };
  const guarded = { ...open, auth: { username: 'ci', password: 's3cret' } };
  it('sends an auth header naming the registry, with credentials only when configured', () => {
    expect(registryAuth(open)).toEqual({ serveraddress: '127.0.0.1:5055' });
    expect(registryAuth(guarded)).toEqual({ username: 'ci', password: 's3cret', serveraddress: '127.0.0.1:5055' });
    expect(registryAuth(undefined)).toEqual({ serveraddress: '' });
  });
  it('gives builds a registry config only with credentials', () => {
    expect(buildRegistryConfig(open)).toBeUndefined();
    expect(buildRegistryConfig(guarded)).toEqual({ '127.0.0.1:5055': { username: 'ci', password: 's3cret' } });
  });
});

describe('buildImageOptions', () => {
  it('never lets the engine pull (bases are prepared beforehand) and passes labels and build args', () => {
    const signal = new AbortController().signal;
    expect(buildImageOptions({ tag: 'r/x:prod', noCache: true, labels: { a: 'b' }, buildArgs: { X: '1' } }, signal)).toEqual({
      t: 'r/x:prod',
      dockerfile: 'Dockerfile',
      nocache: true,
      pull: false,
      rm: true,
      forcerm: true,
      labels: { a: 'b' },
      buildargs: { X: '1' },
      abortSignal: signal,
    });
  });
});

describe('withEngineTlsHint', () => {
  it("names the registry and the engine host's certs.d files an untrusted CA needs", () => {
    const message = '(HTTP code 500) server error - Get "https://198.18.77.2:5443/v2/": x509: certificate signed by unknown authority';
    expect(withEngineTlsHint(message)).toBe(
      `${message} (the engine does not trust registry 198.18.77.2:5443: on the engine's host, put ca.crt in /etc/docker/certs.d/198.18.77.2:5443/)`,
    );
  });

  it('asks for the client certificate when the registry refused the handshake for want of one', () => {
    const message = 'Get "https://reg.example:5000/v2/": remote error: tls: certificate required';
    expect(withEngineTlsHint(message)).toContain('put client.cert and client.key (and ca.crt for a private CA) in /etc/docker/certs.d/reg.example:5000/');
  });

  it('leaves other failures, and TLS failures that quote no registry URL, unchanged', () => {
    for (const message of ['manifest unknown', 'x509: certificate has expired', 'Get "https://r:5000/v2/": dial tcp: connection refused'])
      expect(withEngineTlsHint(message)).toBe(message);
  });

  it('hints the error a pull or push stream reports', () => {
    const outcome = foldTransferOutput([{ error: 'Get "https://r:5000/v2/": x509: certificate signed by unknown authority' }]);
    expect(outcome.error).toContain('/etc/docker/certs.d/r:5000/');
  });
});
