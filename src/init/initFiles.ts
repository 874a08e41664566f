/** The texts `freshen init` writes: a commented inventory (when it was given hosts, not an inventory) and a playbook. */

export interface InitHost {
  name: string;
  /** `ssh://user@host`, `unix:///path`, `tcp://host:port`. */
  docker: string;
}

/** YAML's double-quoted form of a string (JSON's is valid YAML). */
const quoted = (text: string): string => JSON.stringify(text);

export function inventoryText(options: { registry: string; rolloutTag: string; hosts: readonly InitHost[]; command: string }): string {
  return [
    `# Written by: ${options.command}`,
    '# The hosts freshen reaches and the registry whose images it manages. Group names are yours: the playbook names',
    '# docker_hosts. SSH logins use your keys and ~/.ssh/known_hosts; registry credentials come from `docker login`',
    '# (~/.docker/config.json), or add registry_auth: { username: NAME, password_env: VARIABLE } under vars.',
    'all:',
    '  vars:',
    `    registry: ${quoted(options.registry)}  # the prefix of the images freshen manages`,
    `    rollout_tag: ${quoted(options.rolloutTag)}  # a container running REGISTRY/REPO:${options.rolloutTag} is managed`,
    '  children:',
    '    docker_hosts:',
    '      hosts:',
    ...options.hosts.map((host) => `        ${host.name}: { docker: { host: ${quoted(host.docker)} } }`),
    '',
  ].join('\n');
}

export interface PlaybookPlan {
  command: string;
  /** The host that rebuilds, and the Dockerfile tree relative to the playbook, when init was given one. */
  build?: { host: string; root: string };
  /** The host that goes first; the rest wait for it. */
  canary?: string;
  /** A host pattern for everyone else, or undefined when the canary is the only host. */
  rest?: string;
  /** Swarm managers with services freshen manages. */
  managers: readonly string[];
}

export function playbookText(plan: PlaybookPlan): string {
  const lines = [
    `# Written by: ${plan.command}`,
    '# Plays run in order; a play stops the run when too many of its hosts fail. Try it with --check first: every step then',
    '# reads, plans and reports, and changes nothing.',
  ];
  if (plan.build) {
    lines.push(
      '',
      '- name: Rebuild what has gone stale',
      `  hosts: ${plan.build.host}`,
      '  steps:',
      '    # One directory per image below root (relative to this file): images/team/api/Dockerfile is repository team/api.',
      '    # Only repositories that already carry the rollout tag in the registry are managed.',
      `    - discover: { root: ${quoted(plan.build.root)} }`,
      '    # No cache and a fresh pull of the bases, so `apt-get upgrade` / `apk upgrade` in the Dockerfiles really runs.',
      '    - rebuild: { no_cache: true, pull: true, timeout: 30m }',
      '    - push',
    );
  }
  if (plan.canary) {
    lines.push(
      '',
      '- name: Canary',
      `  hosts: ${plan.canary}`,
      '  # If the canary fails, stop here: nothing else gets the new images.',
      '  any_errors_fatal: true',
      '  steps:',
      '    - pull',
      '    # The old container is renamed and kept until its replacement is healthy.',
      '    - stop: { timeout: 30s }',
      "    # Healthy means Docker's HEALTHCHECK passed, or (without one) still running after settle.",
      '    - start: { healthy_timeout: 60s, settle: 5s }',
    );
  }
  if (plan.rest) {
    lines.push(
      '',
      '- name: Everyone else',
      `  hosts: ${quoted(plan.rest)}`,
      '  # One host first, then the rest a quarter at a time.',
      '  serial: [1, "25%"]',
      '  max_fail_percentage: 0',
      '  steps: [pull, stop, start]',
    );
  }
  if (plan.managers.length > 0) {
    lines.push('', '- name: Swarm services', `  hosts: ${quoted(plan.managers.join(':'))}`, '  steps: [service]');
  }
  return `${lines.join('\n')}\n`;
}
