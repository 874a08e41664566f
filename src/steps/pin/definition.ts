import { defineKind } from '../stepKind.js';
import { DEFAULT_BRANCH, parsePinOptions } from './pinOptions.js';

/** `pin`: what the loader and the schema know of the kind; its plan and apply are in pin.ts, loaded only for a run. */
export const pinKind = defineKind({
  kind: 'pin',
  needs: ['registry'],
  summary: "Pin the infra repository's image references to the digests their tags name in the host's registry, in one commit pushed to a branch.",
  options: {
    description:
      "Rewrite image references in a git repository (Compose files, Kubernetes manifests, kustomizations, lines marked `# freshen: REPO`) to the digest their tag names now in the host's registry, and push one commit with the reasons.",
    type: 'object',
    properties: {
      files: {
        description: "Files and directories to pin, relative to the repository's top level; read at the branch's last commit, never from the working tree.",
        type: 'array',
        minItems: 1,
        items: { type: 'string', minLength: 1 },
        examples: [['compose.yaml', 'k8s/']],
      },
      helm_values: {
        description:
          "Helm values files (relative to the repository's top level) and the dotted paths of their image maps (`{registry?, repository, tag, digest}`): each map's `digest` is set.",
        type: 'object',
        additionalProperties: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        examples: [{ 'charts/api/values.yaml': ['image', 'worker.image'] }],
      },
      repository: {
        description: "A directory inside the git repository, relative to the playbook (default: the playbook's directory).",
        type: 'string',
        minLength: 1,
      },
      remote: { description: 'The configured git remote to fetch from and push to (default origin).', type: 'string', examples: ['origin'] },
      branch: {
        description: `The branch to commit to: its own (default ${DEFAULT_BRANCH}, started from the checked-out commit), or one people commit to as well.`,
        type: 'string',
        examples: [DEFAULT_BRANCH, 'main'],
      },
      images: {
        description: "Repository names or globs of the host's registry whose references are pinned (default: every repository).",
        type: 'array',
        items: { type: 'string', minLength: 1 },
      },
      author: {
        description: 'Author and committer of the commit (default freshen <freshen@localhost>).',
        type: 'object',
        required: ['name', 'email'],
        properties: {
          name: { description: 'The name git records.', type: 'string' },
          email: { description: 'The email address git records.', type: 'string' },
        },
        additionalProperties: false,
      },
      allow_dirty: {
        description: 'Commit even when a file the commit changes has uncommitted changes in the working tree (default false).',
        type: 'boolean',
      },
    },
    additionalProperties: false,
  },
  optionsPhrase: 'a map of pin options',
  parseOptions: (raw, context) => parsePinOptions(raw, context.baseDir),
  load: async () => (await import('./pin.js')).pinStep,
});
