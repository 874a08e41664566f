// A step kind is described in one place (src/steps/kinds.ts, which also loads its handler); the schema's step list, its
// options and the docs' option tables must agree with it, so adding a kind that forgets one of them fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STEP_KINDS } from '../../src/model/playbook.js';
import { DEF_PHRASES } from '../../src/load/schemaErrors.js';
import { schemas } from '../../src/load/schemas.js';
import { STEP_KIND_SPECS, loadStepHandlers } from '../../src/steps/kinds.js';
import { stepSchemaDefs } from '../../src/steps/stepSchema.js';

const playbook = schemas().playbook as {
  $defs: Record<
    string,
    {
      enum?: string[];
      properties?: Record<string, { $ref?: string; properties?: object }>;
      else?: { properties: Record<string, { $ref: string }> };
      then?: { enum: string[] };
    }
  >;
};
const stepDef = playbook.$defs.step!;
const report = JSON.parse(readFileSync(new URL('../../schemas/report.schema.json', import.meta.url), 'utf8')) as {
  $defs: Record<
    string,
    { properties: Record<string, { enum?: string[] }>; allOf: Array<{ if: { properties: { step: { const?: string; enum?: string[] } } } }> }
  >;
};
const docs = readFileSync(new URL('../../docs/steps.md', import.meta.url), 'utf8');

/** The option names in the table under `## kind` in docs/steps.md. */
function documentedOptions(kind: string): string[] {
  const section = docs.split(/^## /m).find((s) => s.startsWith(`${kind}\n`)) ?? '';
  const table = section.split('\n\n').find((block) => block.startsWith('| option |')) ?? '';
  return [...table.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]!).sort();
}

describe('the step kinds', () => {
  it('are the same list everywhere: model, kind specs, handlers, the schema', async () => {
    const handlers = await loadStepHandlers();
    expect(Object.keys(STEP_KIND_SPECS)).toEqual([...STEP_KINDS]);
    expect(Object.keys(handlers)).toEqual([...STEP_KINDS]);
    expect(stepDef.then?.enum).toEqual([...STEP_KINDS]);
    expect(Object.keys(stepDef.else!.properties)).toEqual(expect.arrayContaining([...STEP_KINDS]));
    expect(Object.keys(stepDef.else!.properties)).toHaveLength(STEP_KINDS.length);
    for (const kind of STEP_KINDS) expect(handlers[kind]?.kind).toBe(kind);
  });

  it('own the playbook schema’s step and options nodes: the committed file is what their definitions make (npm run schemas)', () => {
    const generated = stepSchemaDefs(Object.values(STEP_KIND_SPECS));
    expect(Object.keys(generated)).toEqual(expect.arrayContaining(['step', 'noOptions', 'discover', 'backupEndpoint']));
    for (const [name, node] of Object.entries(generated)) expect(playbook.$defs[name as keyof typeof playbook.$defs], name).toEqual(node);
  });

  it("are the report schema's: its step list, and the kinds its details shapes are keyed by", () => {
    const reportStep = report.$defs.step!;
    expect(reportStep.properties.step!.enum).toEqual([...STEP_KINDS]);
    const keyed = reportStep.allOf.flatMap((rule) => (rule.if.properties.step.const !== undefined ? [rule.if.properties.step.const] : []));
    expect(keyed).toEqual(['discover', 'patch', 'rebuild', 'pull', 'promote', 'rebase']);
    // The last rule refuses details on every other kind: it names the same kinds.
    expect(reportStep.allOf.at(-1)!.if.properties.step.enum).toEqual(keyed);
  });

  it.each([...STEP_KINDS])('%s: documented options are the schema’s, and its schema node has words for messages', (kind) => {
    const def = stepDef.else!.properties[kind]!.$ref.replace('#/$defs/', '');
    const options = Object.keys(playbook.$defs[def]!.properties ?? {}).sort();
    expect(documentedOptions(kind)).toEqual(options);
    expect(DEF_PHRASES[def], `DEF_PHRASES.${def}`).toBeDefined();
    expect(docs).toMatch(new RegExp(`^## ${kind}$`, 'm'));
  });
});
