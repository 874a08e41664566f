/** One JSON message of the engine's build, pull or push progress stream. */
export interface EngineMessage {
  stream?: string;
  status?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string; Digest?: string; Tag?: string };
}

/** What a build stream said: the image it produced, or the error, and its output lines. */
export interface BuildOutcome {
  imageId?: string;
  error?: string;
  lines: string[];
}

/** How many output lines a failed build reports. */
export const FAILURE_TAIL = 15;

export function foldBuildOutput(messages: readonly EngineMessage[]): BuildOutcome {
  const lines: string[] = [];
  let imageId: string | undefined;
  let error: string | undefined;
  for (const message of messages) {
    if (message.stream)
      lines.push(
        ...message.stream
          .split('\n')
          .map((l) => l.trimEnd())
          .filter((l) => l !== ''),
      );
    if (message.aux?.ID) imageId = message.aux.ID;
    const problem = errorOf(message);
    if (problem) error = problem;
  }
  return { ...(error ? { error } : { ...(imageId ? { imageId } : {}) }), lines };
}

/** What a pull or push stream said: the manifest digest it reported, or the error. */
export interface TransferOutcome {
  digest?: string;
  error?: string;
}

export function foldTransferOutput(messages: readonly EngineMessage[]): TransferOutcome {
  let digest: string | undefined;
  let error: string | undefined;
  for (const message of messages) {
    const reported = message.aux?.Digest ?? /(?:^|\s)[Dd]igest: (sha256:[0-9a-f]{64})/.exec(message.status ?? '')?.[1];
    if (reported) digest = reported;
    const problem = errorOf(message);
    if (problem) error = problem;
  }
  return error ? { error } : digest ? { digest } : {};
}

/** The line worth showing as live progress for a build message (`Step 2/5 : RUN …`), if any. */
export function buildProgressLine(message: EngineMessage): string | undefined {
  const line = message.stream?.trim();
  return line && /^Step \d+\/\d+ :/.test(line) ? line : undefined;
}

function errorOf(message: EngineMessage): string | undefined {
  const text = message.errorDetail?.message ?? message.error;
  return text === undefined ? undefined : withEngineTlsHint(text);
}

/**
 * An engine's TLS failure against a registry, with what to do about it: the engine (not freshen) needs the registry's CA
 * and, for mutual TLS, a client certificate, in Docker's certs.d on the engine's own host. The registry is read from the
 * URL the engine quotes; other messages come back unchanged.
 */
export function withEngineTlsHint(message: string): string {
  if (!/x509: |tls: |remote error: tls|certificate required|bad certificate/i.test(message)) return message;
  const host = /"https:\/\/([^/"\s]+)\//.exec(message)?.[1];
  if (host === undefined) return message;
  const asksForClient = /certificate required|bad certificate|handshake failure/i.test(message);
  const files = asksForClient ? 'client.cert and client.key (and ca.crt for a private CA)' : 'ca.crt';
  return `${message} (the engine does not trust registry ${host}: on the engine's host, put ${files} in /etc/docker/certs.d/${host}/)`;
}

/** The last lines of a failed build, for the failure reason. */
export function failureTail(outcome: BuildOutcome): string {
  return outcome.lines.slice(-FAILURE_TAIL).join('\n');
}
