// `npm run schemas`: writes what the step kinds' definitions (src/steps/*/definition.ts) own in the schemas: the step and
// options nodes of schemas/playbook.schema.json and the step list of schemas/report.schema.json, keeping the rest of each file
// as it is. test/unit/stepKinds.test.ts fails until the files match. Runs on the build (`npm run schemas` builds first).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { STEP_KIND_SPECS } from '../dist/steps/kinds.js';
import { stepSchemaDefs } from '../dist/steps/stepSchema.js';

const kinds = Object.values(STEP_KIND_SPECS);

async function rewrite(name, change) {
  const file = new URL(`../schemas/${name}`, import.meta.url);
  const schema = JSON.parse(readFileSync(file, 'utf8'));
  change(schema);
  // Written on one line and formatted by prettier, as the files are kept: a node that fits on a line stays on one.
  const options = { ...(await prettier.resolveConfig(fileURLToPath(file))), parser: 'json' };
  writeFileSync(file, await prettier.format(JSON.stringify(schema), options));
}

await rewrite('playbook.schema.json', (schema) => {
  const owned = stepSchemaDefs(kinds);
  const names = Object.keys(schema.$defs);
  const at = names.indexOf('step');
  const kept = Object.entries(schema.$defs).filter(([name]) => !(name in owned));
  // The kinds' nodes go where `step` was; the others keep their places.
  schema.$defs = Object.fromEntries([
    ...kept.filter(([name]) => names.indexOf(name) < at),
    ...Object.entries(owned),
    ...kept.filter(([name]) => names.indexOf(name) > at),
  ]);
});

await rewrite('report.schema.json', (schema) => {
  schema.$defs.step.properties.step.enum = kinds.map((spec) => spec.kind);
});
