import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// Where the schemas' texts and the ahead-of-time validators come from: the files shipped beside src/ and dist/ alike.
// The single executable has no files beside it: scripts/build-sea.mjs bundles a stand-in for this module that returns
// the same texts and validators, built in.

export const INVENTORY_SCHEMA_FILE = fileURLToPath(new URL('../../schemas/inventory.schema.json', import.meta.url));
export const PLAYBOOK_SCHEMA_FILE = fileURLToPath(new URL('../../schemas/playbook.schema.json', import.meta.url));
const PRECOMPILED_FILE = fileURLToPath(new URL('./schemaValidators.cjs', import.meta.url));

/** The inventory and playbook schemas as text. */
export function schemaTexts(): { inventory: string; playbook: string } {
  return { inventory: readFileSync(INVENTORY_SCHEMA_FILE, 'utf8'), playbook: readFileSync(PLAYBOOK_SCHEMA_FILE, 'utf8') };
}

/** The module `npm run build` wrote (dist/load/schemaValidators.cjs, or `file`); undefined where there is none or it does not load. */
export function precompiledModule(file = PRECOMPILED_FILE): Record<string, unknown> | undefined {
  try {
    return createRequire(import.meta.url)(file) as Record<string, unknown>;
  } catch {
    // Running from the sources (tests): the caller compiles instead.
    return undefined;
  }
}
