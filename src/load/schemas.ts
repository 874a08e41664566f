import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type Ajv2020Module from 'ajv/dist/2020.js';
import { precompiledModule, schemaTexts } from './schemaSources.js';

export { INVENTORY_SCHEMA_FILE, PLAYBOOK_SCHEMA_FILE } from './schemaSources.js';

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

/** allErrors: report every problem at once; verbose: errors carry their schema node and data, which the messages use. */
export const AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, allowUnionTypes: true } as const;

/** The validators freshen needs, compiled now or ahead of time (`npm run build` writes them next to this module). */
export interface Validators {
  validateInventory: ValidateFunction;
  validatePlaybook: ValidateFunction;
  validateVariables: ValidateFunction;
  /** By step kind. */
  stepOptions: Record<string, ValidateFunction>;
}

/** The schema ids the validators are compiled from: the same list ahead of time and at run time. */
export function validatorIds(inventory: SchemaNode & { $id: string }, playbook: SchemaNode & { $id: string }): Record<string, string> {
  const ids: Record<string, string> = {
    validateInventory: inventory.$id,
    validatePlaybook: playbook.$id,
    validateVariables: `${inventory.$id}#/$defs/variables`,
  };
  for (const [kind, node] of Object.entries((playbook.$defs?.step?.else as SchemaNode | undefined)?.properties ?? {})) {
    if (typeof node.$ref === 'string') ids[`stepOptions_${kind}`] = `${playbook.$id}${node.$ref}`;
  }
  return ids;
}

/**
 * The hash the ahead-of-time validators carry: of both schema files as read, so a stale module is never used. It tells an
 * outdated build from a current one and needs no more; a cryptographic hash would load node:crypto, a third of what
 * `freshen validate` otherwise takes to start. Two FNV-1a lanes of 32 bits over the UTF-16 code units.
 */
export function schemaTextHash(inventoryText: string, playbookText: string): string {
  const text = `${inventoryText}\0${playbookText}`;
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x5bd1e995);
  }
  const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
  return `${hex(a)}${hex(b)}`;
}

let cached: Schemas | undefined;
let stepValidators: Record<string, ValidateFunction> = {};

/** The validator of one step kind's options (the `$defs` entry the playbook schema's step list refers the kind to). */
export function stepOptionsSchema(kind: string): ValidateFunction {
  schemas();
  const validator = stepValidators[kind];
  if (validator === undefined) throw new Error(`the playbook schema lists no options for the step ${kind}`);
  return validator;
}

/** Validators from the module `npm run build` wrote, when it was made from exactly these schema files (`hash`). */
export function precompiledValidators(module: Record<string, unknown> | undefined, hash: string): Validators | undefined {
  if (module?.schemaHash !== hash) return undefined;
  const functions = module as Record<string, ValidateFunction>;
  const stepOptions = Object.fromEntries(
    Object.entries(functions)
      .filter(([name]) => name.startsWith('stepOptions_'))
      .map(([name, validate]) => [name.slice('stepOptions_'.length), validate]),
  );
  return {
    validateInventory: functions.validateInventory!,
    validatePlaybook: functions.validatePlaybook!,
    validateVariables: functions.validateVariables!,
    stepOptions,
  };
}

export function compileValidators(inventory: SchemaNode & { $id: string }, playbook: SchemaNode & { $id: string }): Validators {
  // Loaded here, not at the top: with the ahead-of-time validators (every installed freshen) Ajv itself, about a hundred
  // modules, is never needed, and `validate` starts that much sooner.
  const ajvModule = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof Ajv2020Module;
  const ajv = new ajvModule.default(AJV_OPTIONS);
  ajv.addSchema(inventory).addSchema(playbook);
  const ids = validatorIds(inventory, playbook);
  const get = (id: string): ValidateFunction => ajv.getSchema(id)!;
  const stepOptions = Object.fromEntries(
    Object.entries(ids)
      .filter(([name]) => name.startsWith('stepOptions_'))
      .map(([name, id]) => [name.slice('stepOptions_'.length), get(id)]),
  );
  return {
    validateInventory: get(ids.validateInventory!),
    validatePlaybook: get(ids.validatePlaybook!),
    validateVariables: get(ids.validateVariables!),
    stepOptions,
  };
}

export function schemas(): Schemas {
  if (cached) return cached;
  const { inventory: inventoryText, playbook: playbookText } = schemaTexts();
  const inventory = JSON.parse(inventoryText) as SchemaNode & { $id: string };
  const playbook = JSON.parse(playbookText) as SchemaNode & { $id: string };
  const validators = precompiledValidators(precompiledModule(), schemaTextHash(inventoryText, playbookText)) ?? compileValidators(inventory, playbook);
  stepValidators = validators.stepOptions;
  // By content, not identity: ahead-of-time validators report copies of the schema nodes.
  const names = new Map<string, string>([
    [JSON.stringify(inventory), 'inventory'],
    [JSON.stringify(playbook), 'playbook'],
  ]);
  for (const root of [inventory, playbook]) {
    for (const [name, node] of Object.entries((root.$defs ?? {}) as Record<string, SchemaNode>)) {
      names.set(JSON.stringify(node), name);
      // `if`/`then`/`else` branches report errors from their own nodes: `step.then`, `step.else`.
      for (const branch of ['then', 'else']) if (node[branch]) names.set(JSON.stringify(node[branch]), `${name}.${branch}`);
    }
  }
  cached = {
    inventory,
    playbook,
    validateInventory: validators.validateInventory,
    validatePlaybook: validators.validatePlaybook,
    validateVariables: validators.validateVariables,
    defName: (node) => (typeof node === 'object' && node !== null ? names.get(JSON.stringify(node)) : undefined),
  };
  return cached;
}

export type { ErrorObject };
