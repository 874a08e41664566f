import { defineKind } from '../stepKind.js';
import { parseBackupOptions } from './backupOptions.js';

/** `backup`: what the loader and the schema know of the kind; its plan and apply are in backup.ts, loaded only for a run. */
export const backupKind = defineKind({
  kind: 'backup',
  needs: ['registry'],
  summary: "Copy the registry's repositories and tags to another registry or an OCI image layout by digest (or, with `from`, restore them).",
  options: {
    description:
      'On a registry host, copy the selected repositories and tags of its registry (`registry` variable) to `to`, or copy those of `from` into it: manifests byte for byte, blobs only where missing, verified by sha256.',
    type: 'object',
    properties: {
      to: {
        $ref: '#/$defs/backupEndpoint',
        description: "Where to copy the host's registry to: another registry (a mirror) or an OCI image-layout directory (a backup).",
      },
      from: {
        $ref: '#/$defs/backupEndpoint',
        description: "Where to copy into the host's registry from: an OCI image-layout directory (a restore) or another registry.",
      },
      repositories: {
        description: 'Only these repositories (globs: `*` matches anything, `/` too; `?` one character); default every repository of the source.',
        type: 'array',
        minItems: 1,
        items: {
          type: 'string',
          minLength: 1,
          description: 'A repository name or glob, e.g. `team/*`.',
        },
        examples: [['team/*', 'base/os']],
      },
      tags: {
        description: 'Only these tags (globs, as for `repositories`); default every tag.',
        type: 'array',
        minItems: 1,
        items: {
          type: 'string',
          minLength: 1,
          description: 'A tag or glob, e.g. `prod` or `2026*`.',
        },
        examples: [['prod', '2026*']],
      },
      chunk_size: {
        description: 'Upload blobs bigger than this many bytes to a registry in PATCH chunks of this size (default: one streamed PUT per blob).',
        type: 'integer',
        minimum: 1,
        examples: [67108864],
      },
    },
    oneOf: [
      {
        properties: {
          to: {
            description: "A backup or a mirror: the host's registry is the source.",
          },
        },
        required: ['to'],
      },
      {
        properties: {
          from: {
            description: "A restore: the host's registry is the destination.",
          },
        },
        required: ['from'],
      },
    ],
    additionalProperties: false,
  },
  optionDefs: {
    backupEndpoint: {
      description: 'The other end of a backup: `{registry: host:port}` (with `url`, `auth`, `ca` as needed) or `{oci_layout: PATH}`.',
      type: 'object',
      properties: {
        registry: {
          description: "The other registry's `host:port`.",
          type: 'string',
          minLength: 1,
          examples: ['mirror.example.org:5000'],
        },
        url: {
          description: "The other registry's API base URL (default `https://REGISTRY`, or `http://` on loopback).",
          type: 'string',
          pattern: '^https?://',
          examples: ['https://mirror.example.org:5000'],
        },
        auth: {
          $ref: '#/$defs/backupAuth',
          description: 'Credentials for the other registry, when it requires them.',
        },
        ca: {
          description: "A CA file for the other registry's TLS certificate, relative to the playbook.",
          type: 'string',
          minLength: 1,
        },
        cert: {
          description: 'A client certificate (PEM) for another registry that asks for one (mutual TLS), relative to the playbook; with `key`.',
          type: 'string',
          minLength: 1,
        },
        key: {
          description: "The client certificate's private key (PEM), relative to the playbook.",
          type: 'string',
          minLength: 1,
        },
        oci_layout: {
          description: 'An OCI image-layout directory where freshen runs, relative to the playbook; created on the first backup.',
          type: 'string',
          minLength: 1,
          examples: ['../backups/registry'],
        },
      },
      oneOf: [
        {
          properties: {
            registry: {
              description: 'The other end is a registry.',
            },
          },
          required: ['registry'],
        },
        {
          properties: {
            oci_layout: {
              description: 'The other end is an OCI image-layout directory.',
            },
          },
          required: ['oci_layout'],
        },
      ],
      additionalProperties: false,
    },
    backupAuth: {
      description: 'Credentials for the other registry: a `username` and one of `password`, `password_env` or `password_file`.',
      type: 'object',
      properties: {
        username: {
          description: 'User name for the other registry.',
          type: 'string',
          minLength: 1,
        },
        password: {
          description: 'The password itself; prefer `password_env` or `password_file`.',
          type: 'string',
        },
        password_env: {
          description: 'Name of an environment variable that holds the password.',
          type: 'string',
          pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
          examples: ['MIRROR_PASSWORD'],
        },
        password_file: {
          description: 'A file whose content (trailing newline dropped) is the password; relative to the playbook.',
          type: 'string',
          minLength: 1,
        },
      },
      required: ['username'],
      additionalProperties: false,
    },
  },
  optionsPhrase: 'a map of backup options with to or from',
  parseOptions: (raw, reading) => parseBackupOptions(raw, reading),
  // The schema's oneOf says nothing useful about "both".
  loadChecks: ({ options }) => {
    if (options.to !== undefined && options.from !== undefined) {
      return [{ at: ['from'], message: 'The backup step takes one of "to" (copy the host\'s registry out) or "from" (copy into it), not both' }];
    }
    const key = options.to !== undefined ? 'to' : 'from';
    const end = options[key] as Record<string, unknown> | null | undefined;
    if (typeof end !== 'object' || end === null || Array.isArray(end) || end.registry === undefined || end.oci_layout === undefined) return [];
    return [{ at: [key, 'oci_layout'], message: `The backup step's "${key}" is a registry or an OCI layout, not both: keep "registry" or "oci_layout"` }];
  },
  load: async () => (await import('./backup.js')).backupStep,
});
