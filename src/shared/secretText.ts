// The one redaction mechanism: every secret the run learns (passwords, tokens, the base64 of user:password, the password in a
// URL's userinfo) is registered once, and every output path (CLI output, the live view's events, the JSON report) scrubs it.

/** How a scrubbed secret reads. */
export const SCRUBBED = '***';

/** Shorter values are common words and digits; scrubbing them would mangle output without protecting anything real. */
const MIN_SECRET_LENGTH = 4;

const SECRET_KEY = /password|secret|token|passphrase/i;
/** Keys that say where a secret is kept (`password_env`, `password_file`, `token_env`): the name or path is shown, the value read from it is not. */
const SECRET_SOURCE_KEY = /_(env|file|var)$/i;
/** Whether the value under `key` is itself a secret. */
export const isSecretKey = (key: string): boolean => SECRET_KEY.test(key) && !SECRET_SOURCE_KEY.test(key);
const URL_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/([^/@:\s]*):([^@/\s]+)@/gi;

/** The secrets known to this process, longest first so a secret containing another is scrubbed whole. */
export class SecretSet {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  add(value: unknown): void {
    if (typeof value !== 'string' && typeof value !== 'number') return;
    const text = String(value);
    if (text.length < MIN_SECRET_LENGTH || this.values.has(text)) return;
    this.values.add(text);
    this.pattern = undefined;
  }

  /** Registers a username's password and the Basic credentials built from both. */
  addCredentials(username: unknown, password: unknown): void {
    this.add(password);
    if (typeof username === 'string' && (typeof password === 'string' || typeof password === 'number')) {
      this.add(Buffer.from(`${username}:${password}`, 'utf8').toString('base64'));
    }
  }

  /** Registers every value under a secret-looking key, every URL's userinfo password, and credential pairs, anywhere in `data`. */
  addFrom(data: unknown, key = ''): void {
    if (typeof data === 'string') {
      // A URL's userinfo is sent as Basic credentials: its password and that encoding, as written and as decoded.
      for (const [, user = '', password = ''] of data.matchAll(URL_PASSWORD)) {
        this.addCredentials(user, password);
        this.addCredentials(decodeOrKeep(user), decodeOrKeep(password));
      }
      if (isSecretKey(key)) this.add(data);
      return;
    }
    if (typeof data === 'number' && isSecretKey(key)) return this.add(data);
    if (Array.isArray(data)) return data.forEach((item) => this.addFrom(item, key));
    if (typeof data !== 'object' || data === null) return;
    const record = data as Record<string, unknown>;
    if ('password' in record) this.addCredentials(record.username, record.password);
    for (const [inner, value] of Object.entries(record)) this.addFrom(value, inner);
  }

  /** Forgets every secret: a process that runs freshen more than once (a test worker that runs several files) starts each clean. */
  clear(): void {
    this.values.clear();
    this.pattern = undefined;
  }

  redact(text: string): string {
    if (this.values.size === 0) return text;
    this.pattern ??= new RegExp(
      [...this.values]
        .sort((a, b) => b.length - a.length)
        .map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    );
    return text.replace(this.pattern, SCRUBBED);
  }

  /** A deep copy of `value` with every string scrubbed (for events and reports). */
  redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((item: unknown) => this.redactDeep(item)) as T;
    if (typeof value !== 'object' || value === null || value instanceof Date) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.redactDeep(v)])) as T;
  }
}

const decodeOrKeep = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** The secrets of this run: the loader, the option parsers and the registry client register; the CLI's outputs scrub. */
export const runSecrets = new SecretSet();
