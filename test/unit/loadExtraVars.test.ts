import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/load/diagnostics.js';
import { parseExtraVars } from '../../src/load/extraVars.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 't-load-extravars-'));
  await writeFile(path.join(dir, 'vars.yml'), 'rollout_tag: canary\nreplicas: 3\n');
  await writeFile(path.join(dir, 'bad.yml'), 'ssh: { user: r }\n');
  await writeFile(path.join(dir, 'list.yml'), '- a\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseExtraVars', () => {
  it.each([
    { name: 'text', args: ['rollout_tag=canary'], vars: { rollout_tag: 'canary' } },
    { name: 'numbers and booleans as YAML scalars', args: ['replicas=3', 'debug=true', 'ratio=0.5'], vars: { replicas: 3, debug: true, ratio: 0.5 } },
    { name: 'an empty value is empty text', args: ['note='], vars: { note: '' } },
    { name: 'null', args: ['x=~'], vars: { x: null } },
    { name: 'text that only looks like YAML stays text', args: ['msg=a: b', 'hash=#x'], vars: { msg: 'a: b', hash: '#x' } },
    { name: 'values with = signs', args: ['query=a=b'], vars: { query: 'a=b' } },
    { name: 'variables that must be text stay text', args: ['rollout_tag=2024', 'registry=true'], vars: { rollout_tag: '2024', registry: 'true' } },
    { name: 'a flow map value', args: ['docker={host: "unix:///tmp/d.sock"}'], vars: { docker: { host: 'unix:///tmp/d.sock' } } },
    { name: 'a YAML map argument', args: ['{registry: "127.0.0.1:5055", rollout_tag: prod}'], vars: { registry: '127.0.0.1:5055', rollout_tag: 'prod' } },
    { name: 'later arguments override earlier ones', args: ['rollout_tag=a', 'rollout_tag=b'], vars: { rollout_tag: 'b' } },
    // Found by the fuzz test: an alias with no anchor parsed, then crashed when resolved.
    { name: 'a value that looks like an unanchored alias is text', args: ['note=*x'], vars: { note: '*x' } },
  ])('$name', ({ args, vars }) => {
    expect(parseExtraVars(args)).toEqual({ vars, diagnostics: [] });
  });

  it('reads @file.yml', () => {
    expect(parseExtraVars([`@${dir}/vars.yml`, 'replicas=4'])).toEqual({ vars: { rollout_tag: 'canary', replicas: 4 }, diagnostics: [] });
  });

  it.each([
    {
      name: 'no equals sign',
      args: ['rollout_tag'],
      diagnostics: ['-e:1:1: error: Expected key=value, a YAML map such as {key: value}, or @file.yml\n  1 | rollout_tag\n    | ^^^^^^^^^^^'],
    },
    {
      name: 'a bad variable name',
      args: ['rollout-tag=x'],
      diagnostics: [
        '-e:1:1: error: "rollout-tag" is not a variable name; use letters, digits and "_", not starting with a digit\n  1 | rollout-tag=x\n    | ^^^^^^^^^^^',
      ],
    },
    {
      name: 'a known variable with the wrong shape',
      args: ['registry=http://127.0.0.1:5055'],
      diagnostics: [
        '-e:1:10: error: "registry" must be a registry name, host or host:port, with no scheme or path, not "http://127.0.0.1:5055"; for example: registry: registry.example.org:5000\n  1 | registry=http://127.0.0.1:5055\n    |          ^^^^^^^^^^^^^^^^^^^^^',
      ],
    },
    {
      name: 'a number where text is expected, in a map argument',
      args: ['{rollout_tag: 2024}'],
      diagnostics: [
        '-e:1:15: error: "rollout_tag" must be text, but YAML reads 2024 as a number; quote it: rollout_tag: "2024"\n  1 | {rollout_tag: 2024}\n    |               ^^^^',
      ],
    },
    {
      name: 'broken YAML in a map argument',
      args: ['{registry: x'],
      diagnostics: ['-e:1:13: error: Invalid YAML: Flow map must end with a }\n  1 | {registry: x\n    |             ^'],
    },
    {
      name: 'a map argument with a bad variable',
      args: ['{ssh: {user: r}}'],
      diagnostics: ['-e:1:2: error: "ssh" is missing "host"; for example: host: registry.example.org\n  1 | {ssh: {user: r}}\n    |  ^^^'],
    },
  ])('reports $name', ({ args, diagnostics }) => {
    const result = parseExtraVars(args);
    expect(result.diagnostics.map(formatDiagnostic)).toEqual(diagnostics);
  });

  it('reports problems in @files at their line, and files that are missing or not maps', () => {
    const result = parseExtraVars([`@${dir}/bad.yml`, `@${dir}/none.yml`, `@${dir}/list.yml`]);
    expect(result.diagnostics.map((d) => formatDiagnostic(d).replaceAll(`${dir}/`, ''))).toEqual([
      'bad.yml:1:1: error: "ssh" is missing "host"; for example: host: registry.example.org\n  1 | ssh: { user: r }\n    | ^^^',
      'none.yml: error: Cannot read the -e variables file: no such file',
      'list.yml:1:1: error: An -e @file must hold a map of variables, not a list\n  1 | - a\n    | ^^^',
    ]);
  });
});
