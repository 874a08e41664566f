import { isSecretKey } from '../shared/secretText.js';

export const REDACTED = '<redacted>';

/**
 * A deep copy of `value` with everything under a secret key (`password`, `api_token`, `client_secret`, …) replaced by
 * `<redacted>`, for listings, logs and reports. Where a secret is kept (`password_env`, `password_file`) is shown.
 */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => redactSecrets(item)) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, isSecretKey(key) ? REDACTED : redactSecrets(inner)])) as T;
}
