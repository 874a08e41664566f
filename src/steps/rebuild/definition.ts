import { hostList } from '../../shared/hostList.js';
import { defineKind } from '../stepKind.js';
import { datestampFormatOf } from '../../images/datestamp.js';
import { rebuildOptions } from '../imageOptions.js';

/** `rebuild`: what the loader and the schema know of the kind; its plan and apply are in rebuild.ts, loaded only for a run. */
export const rebuildKind = defineKind({
  kind: 'rebuild',
  needs: ['docker', 'registry'],
  summary: 'Rebuild the stale images with no cache and fresh bases.',
  options: {
    description: "Build each stale image with no cache on the host's engine, tagged with the rollout tag and a datestamp tag.",
    type: ['object', 'null'],
    properties: {
      no_cache: {
        description: 'Build without the layer cache so package upgrades really run (default true).',
        type: 'boolean',
      },
      pull: {
        description: 'Pull external base images fresh before building (default true).',
        type: 'boolean',
      },
      date_format: {
        description:
          'Format of the datestamp tag in UTC, with the tokens YYYY MM DD HH mm ss. Prefer the variable `date_format`, which gc, discover and rollback read too; this option must equal it (default: the variable, else `YYYYMMDD-HHmm`).',
        type: 'string',
        pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$',
        examples: ['YYYYMMDD-HHmm'],
      },
      build_args: {
        $ref: '#/$defs/buildArgs',
        description: 'Build arguments, merged over those given to `discover`.',
      },
      timeout: {
        $ref: '#/$defs/duration',
        description: 'Longest time one image may take to build (default 30m).',
      },
      skip_identical: {
        description:
          'After a build, compare it with prod (bases, build context, installed packages); when all are the same, discard it: not pushed, not rolled out, reported as `rebuilt, identical content`. Default true.',
        type: 'boolean',
      },
      network: {
        description:
          "Network of the build's `RUN` steps: `host` lets `apt-get`/`dnf`/`apk` reach their mirrors from an engine without a bridge; `none` cuts them off; `default` (or unset) is the engine's own choice.",
        enum: ['default', 'host', 'none'],
      },
    },
    additionalProperties: false,
  },
  optionsPhrase: 'a map of rebuild options',
  parseOptions: (raw, { vars }) => rebuildOptions(raw, datestampFormatOf(vars).pattern),
  // gc's retention, discover's rollback hold and `freshen rollback` read the variable: tags in another format would be strangers.
  loadChecks: ({ options, hosts, varsOf }) => {
    const option = options.date_format;
    if (typeof option !== 'string') return [];
    const differing = hosts.filter((host) => datestampFormatOf(varsOf(host)).pattern !== option);
    if (differing.length === 0) return [];
    const variable = datestampFormatOf(varsOf(differing[0]!)).pattern;
    return [
      {
        at: ['date_format'],
        message: `rebuild's date_format "${option}" differs from the variable date_format ("${variable}" on ${hostList(differing)}), which gc, discover and rollback read to recognise datestamp tags; set date_format: "${option}" in the inventory (or this play's vars) and drop this option`,
      },
    ];
  },
  load: async () => (await import('./rebuild.js')).rebuildStep,
});
