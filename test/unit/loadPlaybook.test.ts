import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/load/diagnostics.js';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlaybook } from '../../src/load/playbook.js';
import type { Inventory } from '../../src/model/inventory.js';

let root: string;
let inventory: Inventory;

// build1 builds; web1 (canary) and web2 run containers; web3 lacks docker; registry1 sweeps; cache1 has ssh but no registry_gc.
const INVENTORY = `all:
  vars:
    registry: 127.0.0.1:5055
  children:
    builders:
      hosts:
        build1: { docker: { host: unix:///tmp/build1.sock } }
    web:
      hosts:
        web2: { docker: { host: unix:///tmp/web2.sock } }
        web3:
      children:
        canary:
          hosts:
            web1: { docker: { host: unix:///tmp/web1.sock } }
    registries:
      hosts:
        registry1:
          ssh: { host: 127.0.0.1, port: 2222, user: root }
          registry_gc: { command: registry garbage-collect /etc/docker/registry/config.yml }
        cache1: { ssh: { host: 127.0.0.1, user: root } }
`;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 't-load-playbook-'));
  await mkdir(path.join(root, 'images/team/api'), { recursive: true });
  await writeFile(path.join(root, 'images/README'), 'not a directory\n');
  await writeFile(path.join(root, 'inventory.yml'), INVENTORY);
  const loaded = await loadInventory(path.join(root, 'inventory.yml'));
  expect(loaded.diagnostics).toEqual([]);
  inventory = loaded.value!;
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let counter = 0;
async function load(text: string, options: { extraVars?: Record<string, unknown>; env?: Record<string, string> } = {}) {
  const file = path.join(root, `playbook-${++counter}.yml`);
  await writeFile(file, text);
  const result = await loadPlaybook(file, inventory, options);
  return { result, rendered: result.diagnostics.map((d) => formatDiagnostic(d).replaceAll(file, 'playbook.yml').replaceAll(root, 'ROOT')) };
}

describe('loadPlaybook: a valid playbook', () => {
  it('builds plays with normalised serial, step options and indexes', async () => {
    const { result, rendered } = await load(`# yaml-language-server: $schema=../schemas/playbook.schema.json
- name: Rebuild
  hosts: builders
  steps:
    - discover: { root: images, build_args: { BASE: bookworm } }
    - rebuild
    - push: {}
- name: Canary
  hosts: canary
  any_errors_fatal: true
  steps: [pull, stop, { start: { healthy_timeout: 90s } }]
- name: The rest
  hosts: web:!canary:!web3
  serial: ["25%", 2]
  max_fail_percentage: 0
  pause: 30
  vars: { rollout_tag: stable, registry_ca: certs/ca.pem }
  steps: [pull, stop, start]
- name: Sweep
  hosts: registry1
  serial: 1
  steps:
    - gc: { keep: 3 }
- name: Delete only
  hosts: cache1
  steps:
    - gc: { sweep: false }
`);
    expect(rendered).toEqual([]);
    const playbook = result.value!;
    expect(playbook.dir).toBe(root);
    expect(playbook.plays.map((p) => p.name)).toEqual(['Rebuild', 'Canary', 'The rest', 'Sweep', 'Delete only']);
    expect(playbook.plays[0]!.steps).toEqual([
      { kind: 'discover', options: { root: 'images', build_args: { BASE: 'bookworm' } }, index: 0 },
      { kind: 'rebuild', options: {}, index: 1 },
      { kind: 'push', options: {}, index: 2 },
    ]);
    expect(playbook.plays[0]).not.toHaveProperty('serial');
    expect(playbook.plays[1]).toMatchObject({ any_errors_fatal: true, vars: {} });
    expect(playbook.plays[1]!.steps[2]).toEqual({ kind: 'start', options: { healthy_timeout: '90s' }, index: 2 });
    expect(playbook.plays[2]).toMatchObject({
      hosts: 'web:!canary:!web3',
      serial: ['25%', 2],
      max_fail_percentage: 0,
      pause: '30',
      vars: { rollout_tag: 'stable', registry_ca: path.join(root, 'certs/ca.pem') },
    });
    expect(playbook.plays[3]!.serial).toEqual([1]);
  });

  it('lets play vars and -e vars supply what the inventory lacks', async () => {
    const text = `- name: Push elsewhere
  hosts: builders
  vars: { registry: 127.0.0.1:5056 }
  steps: [push]
`;
    expect((await load(text)).rendered).toEqual([]);
    const noRegistry = { ...inventory, hosts: new Map([...inventory.hosts].map(([n, h]) => [n, { ...h, vars: { ...h.vars, registry: undefined } }])) };
    const file = path.join(root, 'extra.yml');
    await writeFile(file, '- name: P\n  hosts: builders\n  steps: [push]\n');
    expect((await loadPlaybook(file, noRegistry, { extraVars: { registry: '127.0.0.1:5055' } })).diagnostics).toEqual([]);
    expect((await loadPlaybook(file, noRegistry)).diagnostics.map((d) => d.message)).toEqual([
      'The push step needs the "registry" variable (the image name prefix, host:port), but build1 has none; set it in the inventory (for example under all.vars) or in this play\'s vars',
    ]);
  });

  it('still reports the playbook’s own problems without an inventory', async () => {
    const file = path.join(root, 'alone.yml');
    await writeFile(file, '- name: P\n  hosts: nowhere\n  steps: [pul]\n');
    const result = await loadPlaybook(file, undefined);
    expect(result.diagnostics.map((d) => d.message)).toEqual(['Unknown step "pul"; did you mean "pull"?']);
  });
});

describe('loadPlaybook: invalid playbooks', () => {
  it.each([
    {
      name: 'a map instead of a list of plays',
      input: 'name: Roll out\nhosts: web\nsteps: [pull]\n',
      diagnostics: [
        'playbook.yml:1:1: error: The playbook must be a list of plays, each starting with "- name:", not a map\n  1 | name: Roll out\n    | ^^^^^^^^^^^^^^',
      ],
    },
    {
      name: 'an empty list',
      input: '[]\n',
      diagnostics: ['playbook.yml:1:1: error: The playbook must not be empty\n  1 | []\n    | ^^'],
    },
    {
      name: 'a play without name, hosts or steps',
      input: '- serial: 1\n',
      diagnostics: [
        'playbook.yml:1:3: error: Play 1 is missing "name"; for example: name: Roll out to the web servers\n  1 | - serial: 1\n    |   ^^^^^^^^^',
        'playbook.yml:1:3: error: Play 1 is missing "hosts"; for example: hosts: web\n  1 | - serial: 1\n    |   ^^^^^^^^^',
        'playbook.yml:1:3: error: Play 1 is missing "steps"; for example: steps: [pull, stop, start]\n  1 | - serial: 1\n    |   ^^^^^^^^^',
      ],
    },
    {
      name: 'rebuild date_format differing from the variable date_format that gc, discover and rollback read',
      input: '- name: B\n  hosts: build1\n  steps:\n    - discover: { root: images }\n    - rebuild: { date_format: YYYY.MM.DD-HHmm }\n',
      diagnostics: [
        'playbook.yml:5:31: error: rebuild\'s date_format "YYYY.MM.DD-HHmm" differs from the variable date_format ("YYYYMMDD-HHmm" on build1), which gc, discover and rollback read to recognise datestamp tags; set date_format: "YYYY.MM.DD-HHmm" in the inventory (or this play\'s vars) and drop this option\n  5 |     - rebuild: { date_format: YYYY.MM.DD-HHmm }\n    |                               ^^^^^^^^^^^^^^^',
      ],
    },
    {
      name: 'a date_format variable with no date token',
      input: '- name: B\n  hosts: build1\n  vars: { date_format: prod }\n  steps: [discover: { root: images }, rebuild]\n',
      diagnostics: [
        'playbook.yml:3:24: error: "date_format" must be usable in an image tag, with at least one date token: letters, digits, "_", "." and "-" (YYYY MM DD HH mm ss are replaced by the date), not "prod"; for example: date_format: YYYYMMDD-HHmm\n  3 |   vars: { date_format: prod }\n    |                        ^^^^',
      ],
    },
    {
      name: 'option values only the step can judge, reported at load time where they are',
      input: [
        '- name: B',
        '  hosts: build1',
        '  steps:',
        '    - discover: { root: images, max_age: soon, probe: { timeout: 0 } }',
        '- name: B2',
        '  hosts: build1',
        '  steps: [discover, rebuild]',
        '- name: G',
        '  hosts: registry1',
        '  steps: [{ gc: { push_wait: soon } }]',
        '',
      ].join('\n'),
      diagnostics: [
        'playbook.yml:4:42: error: "max_age" is not a duration: "soon"; write it like 90s, 2m, 1h30m or 1500ms (a bare number is seconds)\n  4 |     - discover: { root: images, max_age: soon, probe: { timeout: 0 } }\n    |                                          ^^^^',
        'playbook.yml:7:11: error: discover needs a "root" directory\n  7 |   steps: [discover, rebuild]\n    |           ^^^^^^^^',
        'playbook.yml:10:30: error: "push_wait" is not a duration: "soon"; write it like 90s, 2m, 1h30m or 1500ms (a bare number is seconds)\n  10 |   steps: [{ gc: { push_wait: soon } }]\n     |                              ^^^^',
      ],
    },
    {
      name: 'waits longer than a timer can hold',
      input: '- name: P\n  hosts: web1\n  serial: 1\n  pause: 30d\n  steps: [{ start: { healthy_timeout: 4w } }]\n',
      diagnostics: [
        'playbook.yml:4:10: error: "pause" is "30d", longer than the 24 days freshen can wait; use a shorter one\n  4 |   pause: 30d\n    |          ^^^',
        'playbook.yml:5:39: error: "healthy_timeout" is "4w", longer than the 24 days freshen can wait; use a shorter one\n  5 |   steps: [{ start: { healthy_timeout: 4w } }]\n    |                                       ^^',
      ],
    },
    {
      name: 'a misspelt play key',
      input: '- name: P\n  hosts: canary\n  steps: [pull]\n  seral: 2\n',
      diagnostics: ['playbook.yml:4:3: error: Unknown key "seral" in play 1; did you mean "serial"?\n  4 |   seral: 2\n    |   ^^^^^'],
    },
    {
      name: 'a host pattern naming an unknown group, with a suggestion',
      input: '- name: Roll out\n  hosts: webs:&canary\n  steps: [pull]\n',
      diagnostics: [
        'playbook.yml:2:10: error: Play "Roll out" targets "webs", which is neither a group nor a host in ROOT/inventory.yml; did you mean "web"?\n  2 |   hosts: webs:&canary\n    |          ^^^^^^^^^^^^',
      ],
    },
    {
      name: 'a glob that matches nothing',
      input: '- name: Caches\n  hosts: memcache*\n  steps: [pull]\n',
      diagnostics: [
        'playbook.yml:2:10: error: Play "Caches" targets "memcache*", which matches no group or host in ROOT/inventory.yml\n  2 |   hosts: memcache*\n    |          ^^^^^^^^^',
      ],
    },
    {
      name: 'a pattern that selects no host (a warning)',
      input: '- name: Nobody\n  hosts: builders:&canary\n  steps: [pull]\n',
      diagnostics: [
        'playbook.yml:2:10: warning: Play "Nobody" selects no hosts with "builders:&canary"; it will be skipped\n  2 |   hosts: builders:&canary\n    |          ^^^^^^^^^^^^^^^^',
      ],
    },
    {
      name: 'unknown steps, bare and as a map key',
      input: '- name: P\n  hosts: web1\n  steps:\n    - pul\n    - strat: { settle: 5s }\n    - Stop\n',
      diagnostics: [
        'playbook.yml:4:7: error: Unknown step "pul"; did you mean "pull"?\n  4 |     - pul\n    |       ^^^',
        'playbook.yml:5:7: error: Unknown step "strat"; did you mean "start"?\n  5 |     - strat: { settle: 5s }\n    |       ^^^^^',
        'playbook.yml:6:7: error: Unknown step "Stop"; did you mean "stop"?\n  6 |     - Stop\n    |       ^^^^',
      ],
    },
    {
      name: 'a step name with no resemblance to any',
      input: '- name: P\n  hosts: web1\n  steps: [deploy]\n',
      diagnostics: [
        'playbook.yml:3:11: error: Unknown step "deploy"; the steps are discover, rebuild, patch, push, pull, stop, start, service, gc, prune, backup, rollback, pin, promote, rebase\n  3 |   steps: [deploy]\n    |           ^^^^^^',
      ],
    },
    {
      name: 'two steps in one list item, an empty map and a number',
      input: '- name: P\n  hosts: web1\n  steps:\n    - { pull: {}, stop: {} }\n    - {}\n    - 3\n',
      diagnostics: [
        'playbook.yml:4:7: error: Step 1 must name one step, but it has 2 keys (pull, stop); put each step in its own list item\n  4 |     - { pull: {}, stop: {} }\n    |       ^^^^^^^^^^^^^^^^^^^^^^',
        'playbook.yml:5:7: error: Step 2 is an empty map; name a step, such as pull or stop: {timeout: 30s}\n  5 |     - {}\n    |       ^^',
        'playbook.yml:6:7: error: Step 3 must be a step name such as pull, or a one-key map such as stop: {timeout: 30s}, not 3\n  6 |     - 3\n    |       ^',
      ],
    },
    {
      name: 'options on a step that takes none, and an unknown option',
      input: '- name: P\n  hosts: web1\n  steps:\n    - push: { force: true }\n    - stop: { timout: 30s }\n    - start\n',
      diagnostics: [
        'playbook.yml:4:15: error: The push step takes no options, but "force" was given; write the step as "- push"\n  4 |     - push: { force: true }\n    |               ^^^^^',
        'playbook.yml:5:15: error: Unknown key "timout" in the stop step; did you mean "timeout"?\n  5 |     - stop: { timout: 30s }\n    |               ^^^^^^',
      ],
    },
    {
      name: 'bad serial, max_fail_percentage and any_errors_fatal',
      input: '- name: P\n  hosts: canary\n  serial: [1, "half", true]\n  max_fail_percentage: 120\n  any_errors_fatal: "yes"\n  steps: [pull]\n',
      diagnostics: [
        'playbook.yml:3:15: error: Serial entry 2 must be a number of hosts or a percentage such as "25%", not "half"\n  3 |   serial: [1, "half", true]\n    |               ^^^^^^',
        'playbook.yml:3:23: error: Serial entry 3 must be a number of hosts or a percentage such as "25%", not true\n  3 |   serial: [1, "half", true]\n    |                       ^^^^',
        'playbook.yml:4:24: error: "max_fail_percentage" must be at most 100, not 120\n  4 |   max_fail_percentage: 120\n    |                        ^^^',
        'playbook.yml:5:21: error: "any_errors_fatal" must be true or false, not "yes"\n  5 |   any_errors_fatal: "yes"\n    |                     ^^^^^',
      ],
    },
    {
      name: 'serial as free text',
      input: '- name: P\n  hosts: canary\n  serial: all\n  steps: [pull]\n',
      diagnostics: [
        'playbook.yml:3:11: error: "serial" must be a number of hosts, a percentage such as "25%", or a list of them, not "all"; for example: serial: 1\n  3 |   serial: all\n    |           ^^^',
      ],
    },
    {
      name: 'durations that do not parse',
      input: '- name: P\n  hosts: web1\n  pause: soon\n  steps:\n    - stop: { timeout: 5 minutes }\n    - start: { healthy_timeout: 1m30, settle: 2s }\n',
      diagnostics: [
        'playbook.yml:3:10: error: "pause" is not a duration: "soon"; write it like 90s, 2m, 1h30m or 1500ms (a bare number is seconds)\n  3 |   pause: soon\n    |          ^^^^',
        'playbook.yml:5:24: error: "timeout" is not a duration: "5 minutes"; write it like 90s, 2m, 1h30m or 1500ms (a bare number is seconds)\n  5 |     - stop: { timeout: 5 minutes }\n    |                        ^^^^^^^^^',
        'playbook.yml:6:33: error: "healthy_timeout" is not a duration: "1m30"; write it like 90s, 2m, 1h30m or 1500ms (a bare number is seconds)\n  6 |     - start: { healthy_timeout: 1m30, settle: 2s }\n    |                                 ^^^^',
      ],
    },
    {
      name: 'notify targets whose URL variable and token are not set',
      input:
        '- name: P\n  hosts: web1\n  notify:\n    - { type: slack, url_var: slack_url }\n    - { type: ntfy, url: "http://127.0.0.1:9/t", token_env: NTFY_TOKEN }\n    - { type: webhook }\n  steps: [pull]\n',
      diagnostics: [
        'playbook.yml:4:31: error: The notify URL variable "slack_url" is not set in the inventory\'s all group (nor with -e); set it to the target\'s URL\n  4 |     - { type: slack, url_var: slack_url }\n    |                               ^^^^^^^^^',
        'playbook.yml:5:61: error: The environment variable NTFY_TOKEN (notify token_env) is not set; export it before running freshen\n  5 |     - { type: ntfy, url: "http://127.0.0.1:9/t", token_env: NTFY_TOKEN }\n    |                                                             ^^^^^^^^^^',
        'playbook.yml:6:7: error: A notify target needs its URL: give url (written here) or url_var (an inventory variable), one of them\n  6 |     - { type: webhook }\n    |       ^^^^^^^^^^^^^^^^^',
      ],
    },
    {
      name: 'a maintenance window with a bad time, day and time zone',
      input:
        '- name: P\n  hosts: web1\n  window:\n    - { days: [mon, someday], start: "02:00", end: "5am" }\n    - { start: "01:00", end: "02:00", time_zone: Berlin }\n  steps: [pull]\n',
      diagnostics: [
        'playbook.yml:4:21: error: "someday" is not a day or a range of days: write mon, tue, … sun, or a range such as mon-fri\n  4 |     - { days: [mon, someday], start: "02:00", end: "5am" }\n    |                     ^^^^^^^',
        'playbook.yml:4:52: error: "end" is a local time of day such as 02:00 (or 24:00), not "5am"\n  4 |     - { days: [mon, someday], start: "02:00", end: "5am" }\n    |                                                    ^^^^^',
        'playbook.yml:5:50: error: "Berlin" is not a time zone: use an IANA name such as Europe/Berlin, America/New_York or UTC\n  5 |     - { start: "01:00", end: "02:00", time_zone: Berlin }\n    |                                                  ^^^^^^',
      ],
    },
    {
      name: 'a discover root that does not exist, or is a file',
      input: '- name: P\n  hosts: build1\n  steps:\n    - discover: { root: ../nowhere }\n    - discover: { root: images/README }\n',
      diagnostics: [
        `playbook.yml:4:25: error: The discover root "../nowhere" does not exist (looked for ${path.join(tmpdir(), 'nowhere')}); point root at the directory holding one directory per image, relative to the playbook\n  4 |     - discover: { root: ../nowhere }\n    |                         ^^^^^^^^^^`,
        'playbook.yml:5:25: error: The discover root "images/README" is not a directory (ROOT/images/README); point root at the directory holding one directory per image, relative to the playbook\n  5 |     - discover: { root: images/README }\n    |                         ^^^^^^^^^^^^^',
      ],
    },
    {
      name: 'discover without root',
      input: '- name: P\n  hosts: build1\n  steps:\n    - discover: { tag: prod }\n',
      diagnostics: [
        'playbook.yml:4:7: error: The discover step is missing "root"; for example: root: ../images\n  4 |     - discover: { tag: prod }\n    |       ^^^^^^^^',
      ],
    },
    {
      name: 'steps on hosts without docker',
      input: '- name: P\n  hosts: web\n  steps: [pull, stop]\n',
      diagnostics: [
        'playbook.yml:3:11: error: The pull step uses each host\'s Docker engine, but web3 has no "docker" variable; give it one in the inventory, for example docker: {host: unix:///var/run/docker.sock}\n  3 |   steps: [pull, stop]\n    |           ^^^^',
        'playbook.yml:3:17: error: The stop step uses each host\'s Docker engine, but web3 has no "docker" variable; give it one in the inventory, for example docker: {host: unix:///var/run/docker.sock}\n  3 |   steps: [pull, stop]\n    |                 ^^^^',
        "playbook.yml:3:17: error: stop hands its containers to start, which stops each right before its replacement starts, but it is the play's last step; put start right after stop\n  3 |   steps: [pull, stop]\n    |                 ^^^^",
      ],
    },
    {
      name: 'a step between stop and start',
      input: '- name: P\n  hosts: web1\n  steps: [pull, stop, pull, start]\n',
      diagnostics: [
        'playbook.yml:3:17: error: stop hands its containers to start, which stops each right before its replacement starts, but pull follows it; put start right after stop\n  3 |   steps: [pull, stop, pull, start]\n    |                 ^^^^',
      ],
    },
    {
      name: 'push on hosts without docker',
      input: '- name: P\n  hosts: registries\n  steps: [push]\n',
      diagnostics: [
        'playbook.yml:3:11: error: The push step uses each host\'s Docker engine, but registry1 and cache1 have no "docker" variable; give them one in the inventory, for example docker: {host: unix:///var/run/docker.sock}\n  3 |   steps: [push]\n    |           ^^^^',
      ],
    },
    {
      name: 'gc sweeping on hosts without ssh or registry_gc',
      input: '- name: P\n  hosts: registries:web1\n  steps:\n    - gc: { keep: 2 }\n',
      diagnostics: [
        'playbook.yml:4:7: error: The gc step sweeps the registry over SSH, but web1 has no "ssh" variable; give it one, for example ssh: {host: registry.example.org, user: admin}, or set sweep: false\n  4 |     - gc: { keep: 2 }\n    |       ^^',
        'playbook.yml:4:7: error: The gc step sweeps the registry with the "registry_gc" commands, but web1 and cache1 have none; give them registry_gc: {command: …}, or set sweep: false\n  4 |     - gc: { keep: 2 }\n    |       ^^',
      ],
    },
    {
      name: 'promote without stages, and stages naming a tag twice',
      input:
        '- name: P\n  hosts: registries\n  steps:\n    - promote: { soak: 2d }\n- name: Q\n  hosts: registries\n  vars: { stages: [canary, prod, canary] }\n  steps: [promote]\n',
      diagnostics: [
        'playbook.yml:4:7: error: The promote step moves each stage\'s tag in the order of the "stages" variable, but registry1 and cache1 have none; give them stages: [canary, prod] (the rollout tags, first stage first)\n  4 |     - promote: { soak: 2d }\n    |       ^^^^^^^',
        'playbook.yml:8:11: error: The "stages" variable names canary twice; a stage comes once, in its place\n  8 |   steps: [promote]\n    |           ^^^^^^^',
      ],
    },
    {
      name: 'play vars checked like inventory variables',
      input:
        '- name: P\n  hosts: web1\n  vars:\n    registry: http://127.0.0.1:5055\n    registry_auth: { username: u, password_env: FRESHEN_TEST_UNSET }\n  steps: [stop, start]\n',
      diagnostics: [
        'playbook.yml:4:15: error: "registry" must be a registry name, host or host:port, with no scheme or path, not "http://127.0.0.1:5055"; for example: registry: registry.example.org:5000\n  4 |     registry: http://127.0.0.1:5055\n    |               ^^^^^^^^^^^^^^^^^^^^^',
        'playbook.yml:5:49: error: The environment variable FRESHEN_TEST_UNSET (registry_auth.password_env) is not set; export it before running freshen, or use password_file\n  5 |     registry_auth: { username: u, password_env: FRESHEN_TEST_UNSET }\n    |                                                 ^^^^^^^^^^^^^^^^^^',
      ],
    },
    {
      name: 'every problem of every play at once, in file order',
      input: '- name: One\n  hosts: wbe\n  steps: [pul]\n- name: Two\n  hosts: web1\n  steps: []\n',
      diagnostics: [
        'playbook.yml:2:10: error: Play "One" targets "wbe", which is neither a group nor a host in ROOT/inventory.yml; did you mean "web"?\n  2 |   hosts: wbe\n    |          ^^^',
        'playbook.yml:3:11: error: Unknown step "pul"; did you mean "pull"?\n  3 |   steps: [pul]\n    |           ^^^',
        'playbook.yml:6:10: error: "steps" must not be empty; for example: steps: [pull, stop, start]\n  6 |   steps: []\n    |          ^^',
      ],
    },
  ])('$name', async ({ input, diagnostics }) => {
    const { result, rendered } = await load(input, { env: {} });
    expect(rendered).toEqual(diagnostics);
    expect(result.value === undefined).toBe(result.diagnostics.some((d) => d.severity === 'error'));
  });

  it('reports a missing file', async () => {
    const result = await loadPlaybook(path.join(root, 'nope.yml'), inventory);
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([`${root}/nope.yml: error: Cannot read the playbook: no such file`]);
  });
});
