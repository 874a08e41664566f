import { defineKind } from '../stepKind.js';
import { patchOptions } from './patchOptions.js';

/** `patch`: what the loader and the schema know of the kind; its plan and apply are in patch.ts, loaded only for a run. */
export const patchKind = defineKind({
  kind: 'patch',
  needs: ['docker', 'registry'],
  summary:
    "Patch upstream images nobody builds here in place: the distribution's upgrade on the original image, committed as one layer, the original's configuration kept; tagged with the rollout tag and a datestamp for push.",
  options: {
    description:
      'Patch each upstream image (`from`) into a managed repository (`to`): always from the original, one layer on top, its configuration kept byte for byte, with provenance labels and an SBOM.',
    type: 'object',
    properties: {
      images: {
        description: 'The upstream images to patch and the managed repositories their patches go to.',
        type: 'array',
        minItems: 1,
        items: {
          description: 'One upstream image.',
          type: 'object',
          properties: {
            from: {
              description:
                'The upstream image reference (a tag or digest), e.g. `registry.example.com/mirror/nginx:1.27` or `docker.io/library/nginx:1.27`. Patches are always made from it, never from an earlier patch.',
              type: 'string',
              minLength: 1,
            },
            to: {
              description: "The repository in the host's `registry` the patch is tagged into (the rollout tag and a datestamp), e.g. `vendor/nginx`.",
              type: 'string',
              minLength: 1,
            },
          },
          required: ['from', 'to'],
          additionalProperties: false,
        },
      },
      network: {
        description:
          "Network of the upgrade's container: `host` (default) so the package manager reaches its mirror from an engine without a bridge, or `none`.",
        enum: ['host', 'none'],
      },
      security_only: {
        description:
          "Only install upgrades from the distribution's security suite (apt: packages from a `-security` suite; dnf: `--security`; apk has no such split and upgrades all). Default false.",
        type: 'boolean',
      },
      max_age: {
        $ref: '#/$defs/duration',
        description: 'A patch made longer ago than this is stale (reason `max-age`). Default: no age limit.',
      },
      cooldown: {
        $ref: '#/$defs/duration',
        description:
          'An upstream whose current image was created less than this ago is not yet a reason to patch (the image waits, naming until when); a patch made meanwhile for another reason is made from the upstream prod was patched from. Default: none.',
      },
      probe: {
        $ref: '#/$defs/discover/properties/probe',
        description:
          'Probe the current patch for pending package updates (reason `packages-outdated`): on by default with `network: host`; `false` turns it off.',
      },
      timeout: {
        $ref: '#/$defs/duration',
        description: 'Longest time one upgrade may take (default 30m).',
      },
      skip_identical: {
        description: "Discard a patch whose packages equal the current patch's, made from the same upstream: not pushed, not rolled out. Default true.",
        type: 'boolean',
      },
    },
    required: ['images'],
    additionalProperties: false,
  },
  optionsPhrase: 'a map of patch options with images, a list of { from, to }',
  parseOptions: (raw, { vars }) => patchOptions(raw, vars),
  load: async () => (await import('./patch.js')).patchStep,
});
