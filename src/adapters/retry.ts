import type { IncomingHttpHeaders } from 'node:http';
import { sleep } from '../shared/sleep.js';

/**
 * Retries of idempotent reads (GET and HEAD). A registry that restarts (gc does that), sheds load (429, 503) or drops a kept-alive
 * connection is asked again after a short backoff; writes are never repeated, since a repeated PUT or DELETE may not mean what
 * the first one meant. Timeouts are not retried either: each attempt already waited its full deadline.
 */
export const READ_ATTEMPTS = 3;
const BASE_DELAY_MS = 500;
/** A peer asking for a longer wait than this (Retry-After) is not waited for: the request fails and says so. */
export const MAX_RETRY_AFTER_MS = 30_000;

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const RETRY_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ECONNABORTED']);

export const isIdempotent = (method: string): boolean => method === 'GET' || method === 'HEAD';

/** Seconds (`120`) or an HTTP date, as milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait before attempt `attempt + 1`: the peer's Retry-After when it gave one, else 0.5 s, 1 s, … with jitter. */
export function retryDelayMs(attempt: number, retryAfter: string | undefined, now: number, random: number): number {
  const asked = parseRetryAfter(retryAfter, now);
  if (asked !== undefined) return asked;
  return Math.round(BASE_DELAY_MS * 2 ** (attempt - 1) * (1 + 0.25 * random));
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
}

/**
 * Calls `attempt` until it answers with a status worth keeping, at most `READ_ATTEMPTS` times for an idempotent method and once
 * otherwise. `discard` releases an answer that is thrown away (a streamed body). The last answer or error is the result.
 */
export async function withReadRetries<T extends Answer>(
  method: string,
  signal: AbortSignal | undefined,
  attempt: () => Promise<T>,
  discard: (answer: T) => void = () => undefined,
): Promise<T> {
  const attempts = isIdempotent(method) ? READ_ATTEMPTS : 1;
  for (let n = 1; ; n += 1) {
    let answer: T;
    try {
      answer = await attempt();
    } catch (error) {
      if (n >= attempts || !RETRY_ERROR_CODES.has(String((error as { code?: unknown }).code))) throw error;
      await sleep(retryDelayMs(n, undefined, Date.now(), Math.random()), signal);
      continue;
    }
    if (n >= attempts || !RETRY_STATUSES.has(answer.status)) return answer;
    const header = answer.headers['retry-after'];
    const delay = retryDelayMs(n, Array.isArray(header) ? header[0] : header, Date.now(), Math.random());
    if (delay > MAX_RETRY_AFTER_MS) return answer;
    discard(answer);
    await sleep(delay, signal);
  }
}
