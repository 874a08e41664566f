import type { UnreachableCode } from '../model/failureCodes.js';

/** The host (or its Docker engine, SSH server or registry) could not be reached at all; the runner reports it `unreachable`. */
export class UnreachableError extends Error {
  constructor(
    message: string,
    readonly code: UnreachableCode = 'unreachable',
  ) {
    super(message);
    this.name = 'UnreachableError';
  }
}

/** A registry answered with an error status; `status` is the HTTP status. */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** The run was interrupted (Ctrl-C, SIGTERM) while the step waited on a peer; the step fails with code `interrupted`. */
export class InterruptedError extends Error {
  readonly code = 'interrupted';
  override readonly name = 'InterruptedError';
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'ENOTFOUND', 'EACCES']);

/** True when a low-level error means "could not connect" rather than "the server said no". */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause !== undefined && cause !== error && isConnectionError(cause);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
