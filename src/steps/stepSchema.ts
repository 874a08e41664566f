import type { JsonSchema, StepKindSpec } from './stepKind.js';

// The playbook schema's step nodes, made from the kinds' definitions: `$defs.step` (a bare name or a one-key map, with each
// kind's summary), `$defs.noOptions`, and each kind's options node. `npm run schemas` writes them into
// schemas/playbook.schema.json; test/unit/stepKinds.test.ts fails when the committed file differs.

const NO_OPTIONS: JsonSchema = {
  description: 'This step takes no options: write it as a bare name or with `{}`.',
  type: ['object', 'null'],
  additionalProperties: false,
};

/** The `$defs` entries the kinds own, by name, in the order the schema file keeps them. */
export function stepSchemaDefs(kinds: readonly StepKindSpec[]): Record<string, JsonSchema> {
  const step: JsonSchema = {
    description: 'A step: a bare step name or a one-key map of a step name to its options.',
    if: { type: 'string' },
    then: { enum: kinds.map((spec) => spec.kind) },
    else: {
      type: 'object',
      minProperties: 1,
      maxProperties: 1,
      properties: Object.fromEntries(
        kinds.map((spec) => [spec.kind, { $ref: `#/$defs/${spec.options === undefined ? 'noOptions' : spec.kind}`, description: spec.summary }]),
      ),
      additionalProperties: false,
    },
  };
  const options = kinds.flatMap((spec) => (spec.options === undefined ? [] : [[spec.kind, spec.options] as const, ...Object.entries(spec.optionDefs ?? {})]));
  return { step, noOptions: NO_OPTIONS, ...Object.fromEntries(options) };
}

/** What each kind's options node is, in words, for messages (the loader's DEF_PHRASES). */
export const optionsPhrases = (kinds: readonly StepKindSpec[]): Record<string, string> =>
  Object.fromEntries(kinds.flatMap((spec) => (spec.optionsPhrase === undefined ? [] : [[spec.kind, spec.optionsPhrase]])));
