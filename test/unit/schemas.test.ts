import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { INVENTORY_SCHEMA_FILE, PLAYBOOK_SCHEMA_FILE } from '../../src/load/schemas.js';
import { schemas } from '../../src/load/schemas.js';
import { WORDED_KEYWORDS } from '../../src/load/schemaErrors.js';

const files = { inventory: INVENTORY_SCHEMA_FILE, playbook: PLAYBOOK_SCHEMA_FILE };

/** Every schema node reachable from `node`, with a JSON-pointer-like path. */
function* walk(node: unknown, path: string): Generator<{ path: string; node: Record<string, unknown> }> {
  if (typeof node !== 'object' || node === null) return;
  if (Array.isArray(node)) return;
  const schema = node as Record<string, unknown>;
  yield { path, node: schema };
  for (const keyword of ['properties', '$defs']) {
    for (const [name, child] of Object.entries((schema[keyword] ?? {}) as Record<string, unknown>)) yield* walk(child, `${path}/${keyword}/${name}`);
  }
  for (const keyword of ['items', 'additionalProperties', 'then', 'else', 'if', 'propertyNames']) {
    if (typeof schema[keyword] === 'object') yield* walk(schema[keyword], `${path}/${keyword}`);
  }
}

describe.each(Object.entries(files))('%s schema', (_name, file) => {
  const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

  it('is draft 2020-12 with an $id, a title and a description', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toMatch(/^https:\/\/.+\.schema\.json$/);
    expect(schema.title).toEqual(expect.any(String));
    expect(schema.description).toEqual(expect.any(String));
  });

  it('describes every property and every definition', () => {
    const undescribed = [...walk(schema, '#')]
      .filter(({ path }) => /\/(properties|\$defs)\/[^/]+$/.test(path))
      .filter(({ node }) => typeof node.description !== 'string' || node.description.length < 10)
      .map(({ path }) => path);
    expect(undescribed).toEqual([]);
  });

  it('uses only keywords whose errors the loader words as sentences', () => {
    const structural = ['$schema', '$id', '$ref', '$defs', 'title', 'description', 'examples', 'properties', 'items', 'then', 'else'];
    const used = new Set([...walk(schema, '#')].flatMap(({ node }) => Object.keys(node)));
    const unworded = [...used].filter((k) => !structural.includes(k) && !(WORDED_KEYWORDS as readonly string[]).includes(k));
    expect(unworded).toEqual([]);
  });

  it('closes every object that lists its properties, except variables (any name is allowed there) and the inventory top (any group)', () => {
    const open = [...walk(schema, '#')].filter(({ node }) => node.properties !== undefined && node.additionalProperties !== false).map(({ path }) => path);
    expect(open).toEqual(file === INVENTORY_SCHEMA_FILE ? ['#', '#/$defs/variables'] : []);
  });

  it('compiles under strict ajv, and every example satisfies the schema it illustrates', () => {
    expect(() => schemas()).not.toThrow();
    const ajv = new Ajv2020.default({ strict: true, allowUnionTypes: true });
    for (const other of Object.values(files)) ajv.addSchema(JSON.parse(readFileSync(other, 'utf8')) as object);
    const withExamples = [...walk(schema, '#')].filter(({ node }) => Array.isArray(node.examples));
    expect(withExamples.length).toBeGreaterThan(5);
    for (const { path, node } of withExamples) {
      const validate = ajv.getSchema(`${String(schema.$id)}${path}`)!;
      for (const example of node.examples as unknown[]) expect({ path, example, valid: validate(example) }).toEqual({ path, example, valid: true });
    }
  });
});

describe('schema validation', () => {
  it('accepts a minimal inventory and playbook', () => {
    const { validateInventory, validatePlaybook } = schemas();
    expect(validateInventory({ all: { hosts: { web1: null } } })).toBe(true);
    expect(validatePlaybook([{ name: 'Roll out', hosts: 'web', steps: ['pull', { stop: null }, { start: { settle: '5s' } }] }])).toBe(true);
  });

  it.each([
    { name: 'serial as a count', play: { serial: 2 }, valid: true },
    { name: 'serial as a percentage', play: { serial: '25%' }, valid: true },
    { name: 'serial as a list', play: { serial: [1, '50%'] }, valid: true },
    { name: 'serial as free text', play: { serial: 'two' }, valid: false },
    { name: 'max_fail_percentage above 100', play: { max_fail_percentage: 101 }, valid: false },
    { name: 'any_errors_fatal as text', play: { any_errors_fatal: 'yes' }, valid: false },
    { name: 'pause as seconds', play: { pause: 30 }, valid: true },
    { name: 'options on push', play: { steps: [{ push: { force: true } }] }, valid: false },
    { name: 'discover without root', play: { steps: [{ discover: { tag: 'prod' } }] }, valid: false },
    { name: 'gc keep negative', play: { steps: [{ gc: { keep: -1 } }] }, valid: false },
    { name: 'two steps in one map', play: { steps: [{ pull: null, stop: null }] }, valid: false },
    { name: 'rebuild date_format unsafe for tags', play: { steps: [{ rebuild: { date_format: 'YYYY/MM' } }] }, valid: false },
  ])('playbook: $name → $valid', ({ play, valid }) => {
    expect(schemas().validatePlaybook([{ name: 'p', hosts: 'all', steps: ['pull'], ...play }])).toBe(valid);
  });

  it.each([
    { name: 'registry with a scheme', vars: { registry: 'https://r.example:5000' }, valid: false },
    { name: 'registry on loopback with a port', vars: { registry: '127.0.0.1:5055' }, valid: true },
    { name: 'docker over ssh', vars: { docker: { host: 'ssh://deploy@web1', identity_file: '~/.ssh/id' } }, valid: true },
    { name: 'docker over ssh with the default user', vars: { docker: { host: 'ssh://web1.example.org:2222' } }, valid: true },
    // Valid for the schema: an Ansible host's connection variables supply the address (the loader refuses it otherwise).
    { name: 'docker without host', vars: { docker: { socket: '/run/docker.sock' } }, valid: true },
    { name: 'docker on a relative unix socket', vars: { docker: { host: 'unix://docker.sock' } }, valid: false },
    { name: 'ssh without host', vars: { ssh: { user: 'u' } }, valid: false },
    { name: 'ssh without user (from ~/.ssh/config or yours)', vars: { ssh: { host: 'r' } }, valid: true },
    { name: 'ssh port out of range', vars: { ssh: { host: 'r', user: 'u', port: 70000 } }, valid: false },
    { name: 'registry_gc without command', vars: { registry_gc: { before: 'x' } }, valid: false },
    { name: 'unknown variables pass through', vars: { app_env: 'production', replicas: 3 }, valid: true },
  ])('variables: $name → $valid', ({ vars, valid }) => {
    expect(schemas().validateVariables(vars)).toBe(valid);
  });
});
