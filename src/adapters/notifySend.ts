import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { NotifyRequest } from '../notify/messages.js';
import type { NotifyTarget } from '../notify/targets.js';

const TIMEOUT_MS = 10_000;

/**
 * POSTs one notification; resolves with why it failed, or undefined when the receiver took it (2xx). The reason never
 * carries the URL (a webhook's URL is often its credential) nor the receiver's answer (a peer's text).
 */
export async function sendNotification(target: NotifyTarget, request: NotifyRequest): Promise<string | undefined> {
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.body?.cancel().catch(() => undefined);
    return response.ok
      ? undefined
      : `the receiver answered ${response.status}${response.statusText ? ` ${response.statusText.replace(/[^\x20-\x7e]/g, '?').slice(0, 60)}` : ''}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    if ((error as Error).name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000}s`;
    return cause ? `could not connect (${cause})` : 'could not send it';
  }
}

/** Where freshen remembers what it announced: FRESHEN_STATE_DIR, else $XDG_STATE_HOME/freshen, else ~/.local/state/freshen. */
export const stateDirectory = (env: NodeJS.ProcessEnv = process.env): string =>
  env.FRESHEN_STATE_DIR ?? join(env.XDG_STATE_HOME ?? join(homedir(), '.local/state'), 'freshen');

/** How many announcements are remembered per target. */
const REMEMBERED = 50;

interface NotifiedState {
  version: 1;
  /** sha256 of a target's type and URL (the URL itself is not kept) → fingerprints of the news sent to it, newest last. */
  targets: Record<string, string[]>;
}

const targetKey = (target: NotifyTarget): string => createHash('sha256').update(`${target.type} ${target.url}`).digest('hex');

/** The fingerprints already announced to each target, and a way to record a new one (written at once, atomically). */
export async function notifiedState(dir = stateDirectory()): Promise<{
  announced(target: NotifyTarget, fingerprint: string): boolean;
  record(target: NotifyTarget, fingerprint: string): Promise<void>;
}> {
  const file = join(dir, 'notified.json');
  const state: NotifiedState = await readFile(file, 'utf8')
    .then((text) => JSON.parse(text) as NotifiedState)
    .then((s) => (s && s.version === 1 && typeof s.targets === 'object' ? s : { version: 1 as const, targets: {} }))
    .catch(() => ({ version: 1 as const, targets: {} }));
  return {
    announced: (target, fingerprint) => (state.targets[targetKey(target)] ?? []).includes(fingerprint),
    async record(target, fingerprint) {
      const key = targetKey(target);
      state.targets[key] = [...(state.targets[key] ?? []), fingerprint].slice(-REMEMBERED);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
      await rename(`${file}.tmp`, file);
    },
  };
}
