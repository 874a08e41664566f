import { resolve } from 'node:path';
import { defineKind } from '../stepKind.js';
import { discoverOptions } from '../imageOptions.js';

/** `discover`: what the loader and the schema know of the kind; its plan and apply are in discover.ts, loaded only for a run. */
export const discoverKind = defineKind({
  kind: 'discover',
  needs: ['docker', 'registry'],
  summary: 'Find the managed images in a tree of Dockerfiles and decide which are stale.',
  options: {
    description: 'Find the image directories below `root` that the registry manages, and decide which are stale and why.',
    type: 'object',
    properties: {
      root: {
        description: 'Directory holding one directory per image (each with a Dockerfile), relative to the playbook file.',
        type: 'string',
        minLength: 1,
        examples: ['../images'],
      },
      tag: {
        description: 'The tag that marks managed images in the registry (default: the `rollout_tag` variable, else `prod`).',
        type: 'string',
        pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$',
        examples: ['prod'],
      },
      force: {
        description: 'Rebuild even when nothing changed: `true` for every managed image, or a list of repository names.',
        type: ['boolean', 'array'],
        items: {
          type: 'string',
          minLength: 1,
          description: 'A repository name below the registry, e.g. `team/api`.',
        },
        examples: [true, ['team/api']],
      },
      include_unpublished: {
        description: 'Also manage tree images whose repository lacks the tag in the registry (they are stale with reason `unpublished`). Default false.',
        type: 'boolean',
      },
      pinned_bases: {
        description:
          'How a `FROM NAME:TAG@DIGEST` is read: `hold` (default) builds on that digest, as Docker does, and the base never changes; `follow` builds on what the tag names now, the digest recording only what the last build started from (what `pin` writes).',
        enum: ['hold', 'follow'],
      },
      build_args: {
        $ref: '#/$defs/buildArgs',
        description: 'Build arguments used to resolve `ARG`s in `FROM` lines, and passed on to `rebuild`.',
      },
      max_age: {
        $ref: '#/$defs/duration',
        description: 'An image built longer ago than this is stale (reason `max-age`), e.g. `30d`. Default: no age limit.',
      },
      cooldown: {
        $ref: '#/$defs/duration',
        description:
          'A base of this registry whose current image was created less than this ago is not yet a reason to rebuild (reason `base-changed` waits, naming until when), e.g. `3d`. Default: none.',
      },
      probe: {
        description:
          'Probe each prod image for pending package updates in a throwaway container (reason `packages-outdated`): `true` for the defaults, or settings. Default off.',
        type: ['boolean', 'object'],
        properties: {
          network: {
            description: "The probe container's network: `host` (default; the package index can be refreshed) or `none`.",
            enum: ['host', 'none'],
          },
          timeout: {
            $ref: '#/$defs/duration',
            description: 'Longest time one probe may take (default 2m).',
          },
          update: {
            description:
              'Refresh the package index first (`apt-get update`, `apk update`; dnf without `-C`). Default: true with `network: host`, false with `none`.',
            type: 'boolean',
          },
          command: {
            description:
              "A custom probe (a /bin/sh script) replacing the package manager's: printing one outdated package per line, exiting 0. One script for every image, or a map of repository to script (`*` for the rest). When no repository entry names an image, its `org.freshen.probe` label may pick one of `by_label`.",
            type: ['string', 'object'],
            additionalProperties: {
              type: 'string',
              description: 'The script for this repository.',
            },
          },
          by_label: {
            description:
              "Named probes that an image's `org.freshen.probe` label may pick (`LABEL org.freshen.probe=pip`). The label only names one of these: its text is never run, since labels are inherited from any base image and the probe runs as root.",
            type: 'object',
            additionalProperties: {
              type: 'string',
              minLength: 1,
              description: 'The script of this named probe.',
            },
          },
        },
        additionalProperties: false,
      },
    },
    required: ['root'],
    additionalProperties: false,
  },
  optionsPhrase: 'a map of discover options with at least root',
  parseOptions: (raw, { vars }) => discoverOptions(raw, vars),
  loadChecks: ({ options, playbookDir, pathKind }) => {
    const root = options.root;
    if (typeof root !== 'string' || root === '') return [];
    const absolute = resolve(playbookDir, root);
    const found = pathKind(absolute);
    if (found === 'directory') return [];
    const problem = found === 'other' ? `is not a directory (${absolute})` : `does not exist (looked for ${absolute})`;
    return [
      {
        at: ['root'],
        message: `The discover root "${root}" ${problem}; point root at the directory holding one directory per image, relative to the playbook`,
      },
    ];
  },
  load: async () => (await import('./discover.js')).discoverStep,
});
