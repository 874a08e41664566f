// Where a run's summary is sent: the `notify:` targets of its plays. The URL may come from an inventory variable (of the
// `all` group, or -e) and a bearer token from the environment, so neither needs to be written in the playbook.

export const NOTIFY_TYPES = ['webhook', 'slack', 'ntfy'] as const;
export type NotifyType = (typeof NOTIFY_TYPES)[number];

/** A target as the playbook writes it (the schema has checked its shape). */
export interface NotifyTargetSpec {
  type: NotifyType;
  url?: string;
  url_var?: string;
  token_env?: string;
}

/** A target ready to send to. `name` is what output shows: never the URL, which often carries a token itself. */
export interface NotifyTarget {
  type: NotifyType;
  name: string;
  url: string;
  token?: string;
}

/** The targets, resolved; or why one cannot be (a missing variable or environment variable, a URL that is not http(s)). */
export function resolveTargets(
  specs: readonly NotifyTargetSpec[],
  vars: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { targets: NotifyTarget[]; problems: Array<{ target: string; message: string }> } {
  const targets: NotifyTarget[] = [];
  const problems: Array<{ target: string; message: string }> = [];
  const seen = new Set<string>();
  specs.forEach((spec, i) => {
    const name = `${spec.type} ${spec.url_var ?? `#${i + 1}`}`;
    const url = spec.url ?? (spec.url_var !== undefined ? vars[spec.url_var] : undefined);
    if (typeof url !== 'string' || url === '') return void problems.push({ target: name, message: `the variable ${spec.url_var ?? 'url'} is not set` });
    if (!/^https?:\/\/[^\s/]+/.test(url)) return void problems.push({ target: name, message: 'the URL is not http:// or https://' });
    const token = spec.token_env !== undefined ? env[spec.token_env] : undefined;
    if (spec.token_env !== undefined && !token) return void problems.push({ target: name, message: `the environment variable ${spec.token_env} is not set` });
    if (seen.has(`${spec.type} ${url}`)) return;
    seen.add(`${spec.type} ${url}`);
    targets.push({ type: spec.type, name, url, ...(token ? { token } : {}) });
  });
  return { targets, problems };
}
