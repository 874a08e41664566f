// Where a run's summary is sent: the `notify:` targets of its plays. The URL may come from an inventory variable (of the
// `all` group, or -e) and a bearer token from the environment, so neither needs to be written in the playbook.

import { resolveVariables } from '../model/variables.js';

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

/**
 * The targets of every play that notifies, each resolved with the variables the loader checked it with: the inventory's
 * `all` group, then the play's `vars`, then `-e`. The same target named by several plays is sent to once.
 */
export function playNotifyTargets(
  plays: ReadonlyArray<{ notify?: readonly NotifyTargetSpec[]; vars: Record<string, unknown> }>,
  allVars: Record<string, unknown>,
  extraVars: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): ReturnType<typeof resolveTargets> {
  const resolved = plays.map((play) => resolveTargets(play.notify ?? [], resolveVariables({ vars: allVars }, play.vars, extraVars), env));
  const seen = new Set<string>();
  return {
    targets: resolved.flatMap((r) => r.targets).filter((t) => !seen.has(`${t.type} ${t.url}`) && Boolean(seen.add(`${t.type} ${t.url}`))),
    problems: resolved.flatMap((r) => r.problems),
  };
}
