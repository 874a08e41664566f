// The validators compiled ahead of time (dist/load/schemaValidators.cjs) must say exactly what the run-time compiled ones
// say, for valid and invalid documents alike, and must be refused when the schema files changed since they were made.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { schemaModuleCode } from '../../src/load/schemaCode.js';
import { INVENTORY_SCHEMA_FILE, PLAYBOOK_SCHEMA_FILE, compileValidators, precompiledValidators, schemaTextHash } from '../../src/load/schemas.js';
import { precompiledModule } from '../../src/load/schemaSources.js';
import { REPO_ROOT } from '../support/lab.js';

const inventoryText = readFileSync(INVENTORY_SCHEMA_FILE, 'utf8');
const playbookText = readFileSync(PLAYBOOK_SCHEMA_FILE, 'utf8');
// Inside the project, so the module's require of ajv's runtime resolves as it does in dist/.
mkdirSync(join(REPO_ROOT, 'node_modules/.cache'), { recursive: true });
const dir = mkdtempSync(join(REPO_ROOT, 'node_modules/.cache/t-schema-code-'));
const file = join(dir, 'schemaValidators.cjs');
writeFileSync(file, schemaModuleCode(inventoryText, playbookText));
const hash = schemaTextHash(inventoryText, playbookText);
const ahead = precompiledValidators(precompiledModule(file), hash)!;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const now = compileValidators(JSON.parse(inventoryText), JSON.parse(playbookText));

const playbooks = ['demo.yml', 'freshen.yml', 'debian-seed.yml'].map((name) => parse(readFileSync(join(REPO_ROOT, 'playbooks', name), 'utf8')) as unknown);
const inventories = [parse(readFileSync(join(REPO_ROOT, 'inventories/example.yml'), 'utf8')) as unknown];
const broken = [
  [{ name: 'x', hosts: 'all', steps: ['discovr'] }],
  [{ name: 'x', hosts: 'all', steps: [{ gc: { keep: -1 } }], serial: 'many' }],
  [{ hosts: 3, steps: [{ start: { settle: 'soon' } }] }],
  { all: { hosts: { a: { docker: 5, registry_concurrency: 0 } } } },
];

/** What a validator reports, without the schema nodes (copies in one, originals in the other). */
function verdict(validate: (data: unknown) => boolean, data: unknown) {
  const ok = validate(data);
  const errors = ((validate as unknown as { errors?: Array<Record<string, unknown>> }).errors ?? []).map(
    ({ instancePath, schemaPath, keyword, params, message }) => ({ instancePath, schemaPath, keyword, params, message }),
  );
  return { ok, errors };
}

describe('validators compiled ahead of time', () => {
  it('load only for the schema texts they were made from', () => {
    expect(ahead).toBeDefined();
    expect(precompiledValidators(precompiledModule(file), schemaTextHash(`${inventoryText} `, playbookText))).toBeUndefined();
    expect(precompiledValidators(precompiledModule(join(dir, 'missing.cjs')), hash)).toBeUndefined();
  });

  it('have a validator for every step kind the run-time compile has', () => {
    expect(Object.keys(ahead.stepOptions).sort()).toEqual(Object.keys(now.stepOptions).sort());
  });

  it('report exactly what the run-time compiled ones report', () => {
    for (const doc of [...playbooks, ...broken.slice(0, 3)]) expect(verdict(ahead.validatePlaybook, doc)).toEqual(verdict(now.validatePlaybook, doc));
    for (const doc of [...inventories, broken[3]]) expect(verdict(ahead.validateInventory, doc)).toEqual(verdict(now.validateInventory, doc));
    expect(verdict(ahead.validatePlaybook, broken[1]).ok).toBe(false);
    for (const [kind, validate] of Object.entries(ahead.stepOptions)) {
      for (const options of [{}, { timeout: 'x' }, { bogus: true }]) expect(verdict(validate, options)).toEqual(verdict(now.stepOptions[kind]!, options));
    }
  });
});
