/** Keys whose values are never shown: `password`, `password_env`, `password_file`, `api_token`, `client_secret`, … */
const SECRET_KEY = /password|secret|token/i;

export const REDACTED = '<redacted>';

/** A deep copy of `value` with everything under a secret-looking key replaced by `<redacted>`, for listings, logs and reports. */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => redactSecrets(item)) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, SECRET_KEY.test(key) ? REDACTED : redactSecrets(inner)])) as T;
}
