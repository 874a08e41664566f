import Ajv2020Module from 'ajv/dist/2020.js';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { AJV_OPTIONS, schemaTextHash, validatorIds, type SchemaNode } from './schemas.js';

/**
 * The schemas' validators as a CommonJS module, compiled ahead of time (`npm run build` writes it as
 * dist/load/schemaValidators.cjs): compiling them costs every run about 200 ms otherwise. It carries the hash of the schema
 * texts it was made from, and schemas.ts uses it only when they still match.
 */
export function schemaModuleCode(inventoryText: string, playbookText: string): string {
  const inventory = JSON.parse(inventoryText) as SchemaNode & { $id: string };
  const playbook = JSON.parse(playbookText) as SchemaNode & { $id: string };
  const ajv = new Ajv2020Module.default({ ...AJV_OPTIONS, code: { source: true } });
  ajv.addSchema(inventory).addSchema(playbook);
  const code = standaloneModule.default(ajv, validatorIds(inventory, playbook));
  return `${code}\nexports.schemaHash = ${JSON.stringify(schemaTextHash(inventoryText, playbookText))};\n`;
}
