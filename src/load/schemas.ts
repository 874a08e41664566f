import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020Module, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';

// The schema files ship next to src/ and dist/ alike, so one relative URL serves both.
export const INVENTORY_SCHEMA_FILE = fileURLToPath(new URL('../../schemas/inventory.schema.json', import.meta.url));
export const PLAYBOOK_SCHEMA_FILE = fileURLToPath(new URL('../../schemas/playbook.schema.json', import.meta.url));

/** A JSON Schema node, as far as the error messages need to look into it. */
export interface SchemaNode {
  description?: string;
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  examples?: unknown[];
  $defs?: Record<string, SchemaNode>;
  [keyword: string]: unknown;
}

/** The compiled schemas, plus a way to tell which `$defs` entry a schema node is (for messages). */
export interface Schemas {
  inventory: SchemaNode;
  playbook: SchemaNode;
  validateInventory: ValidateFunction;
  validatePlaybook: ValidateFunction;
  /** Validates one block of variables (group `vars`, a host, play `vars`, `-e`) against the inventory's typed variables. */
  validateVariables: ValidateFunction;
  /** `play`, `step`, `duration`, … for a node of either schema's `$defs`, or `inventory`/`playbook` for the roots. */
  defName(node: unknown): string | undefined;
}

let cached: Schemas | undefined;
let ajv: InstanceType<typeof Ajv2020Module.default> | undefined;
const optionValidators = new Map<string, ValidateFunction>();

/** The validator of one step kind's options (the `$defs` entry the playbook schema's step list refers the kind to). */
export function stepOptionsSchema(kind: string): ValidateFunction {
  const known = optionValidators.get(kind);
  if (known) return known;
  const { playbook } = schemas();
  const ref = (playbook.$defs?.step?.else as SchemaNode | undefined)?.properties?.[kind]?.$ref;
  if (typeof ref !== 'string') throw new Error(`the playbook schema lists no options for the step ${kind}`);
  const validator = ajv!.getSchema(`${(playbook as { $id: string }).$id}${ref}`)!;
  optionValidators.set(kind, validator);
  return validator;
}

export function schemas(): Schemas {
  if (cached) return cached;
  const inventory = JSON.parse(readFileSync(INVENTORY_SCHEMA_FILE, 'utf8')) as SchemaNode & { $id: string };
  const playbook = JSON.parse(readFileSync(PLAYBOOK_SCHEMA_FILE, 'utf8')) as SchemaNode & { $id: string };
  // allErrors: report every problem at once; verbose: errors carry their schema node and data, which the messages use.
  ajv = new Ajv2020Module.default({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
  ajv.addSchema(inventory).addSchema(playbook);
  const names = new Map<unknown, string>([
    [inventory, 'inventory'],
    [playbook, 'playbook'],
  ]);
  for (const root of [inventory, playbook]) {
    for (const [name, node] of Object.entries((root.$defs ?? {}) as Record<string, SchemaNode>)) {
      names.set(node, name);
      // `if`/`then`/`else` branches report errors from their own nodes: `step.then`, `step.else`.
      for (const branch of ['then', 'else']) if (node[branch]) names.set(node[branch], `${name}.${branch}`);
    }
  }
  cached = {
    inventory,
    playbook,
    validateInventory: ajv.getSchema(inventory.$id)!,
    validatePlaybook: ajv.getSchema(playbook.$id)!,
    validateVariables: ajv.getSchema(`${inventory.$id}#/$defs/variables`)!,
    defName: (node) => names.get(node),
  };
  return cached;
}

export type { ErrorObject };
