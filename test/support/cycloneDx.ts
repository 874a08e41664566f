// The published CycloneDX JSON schema (from @cyclonedx/cyclonedx-library, a dev dependency), compiled once for tests.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

const schemaDir = join(dirname(createRequire(import.meta.url).resolve('@cyclonedx/cyclonedx-library/package.json')), 'res', 'schema');
const read = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(schemaDir, name), 'utf8')) as Record<string, unknown>;

let validate: ValidateFunction | undefined;

/** Validates a document against CycloneDX 1.5's schema; returns the errors as text, empty when valid. */
export function cycloneDxErrors(document: unknown): string[] {
  if (!validate) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    // Formats ajv-formats lacks; freshen's SBOMs use neither, so accepting any string hides nothing.
    for (const name of ['iri-reference', 'idn-email']) ajv.addFormat(name, true);
    // The bom schema refers to its neighbours by file name, resolved against its own $id.
    for (const name of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json'])
      ajv.addSchema({ ...read(name), $id: `http://cyclonedx.org/schema/${name}` });
    validate = ajv.compile(read('bom-1.5.SNAPSHOT.schema.json'));
  }
  return validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}
