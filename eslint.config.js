// Lint for src/ and test/: typescript-eslint's recommended rules, plus the layering rules docs/architecture.md states.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const adapterLibraries = ['dockerode', 'ssh2', 'listr2'];

// Steps and domains reach files, processes and HTTP through ports on the step context (src/steps/types.ts), implemented in
// src/adapters/, so tests can hand in fakes and nothing does I/O behind the context's back.
const ioModules = ['fs', 'fs/promises', 'child_process', 'http', 'https'].flatMap((name) => [name, `node:${name}`]);
const ioPaths = ioModules.map((name) => ({
  name,
  message: 'steps and domains do I/O through the ports on their context (files, engine, registry, guard), implemented in src/adapters/',
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'lab/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // The model, the loader and the domains import no adapter library; steps reach the engine through the Engine interface.
    files: ['src/model/**', 'src/load/**', 'src/images/**', 'src/containers/**', 'src/pins/**', 'src/stages/**', 'src/rebase/**', 'src/steps/**', 'src/runner/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: adapterLibraries.map((name) => ({ name, message: 'adapter libraries are imported only in src/adapters/ (and the UI)' })) },
      ],
    },
  },
  {
    // Steps and the domains below them never reach up into the runner: the runner alone records the facts steps return.
    files: ['src/model/**', 'src/images/**', 'src/containers/**', 'src/pins/**', 'src/stages/**', 'src/rebase/**', 'src/steps/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...adapterLibraries.map((name) => ({ name, message: 'adapter libraries are imported only in src/adapters/ (and the UI)' })), ...ioPaths],
          patterns: [{ group: ['**/runner/*'], message: 'the runner depends on steps, not the other way round (facts are returned, the runner records them)' }],
        },
      ],
    },
  },
  {
    // A step kind's folder is its own: what two kinds share lives in src/steps/ itself or in a domain, never in another kind's
    // folder. Last, because it replaces the rule above for these files (so it repeats that rule's patterns).
    files: ['src/steps/*/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...adapterLibraries.map((name) => ({ name, message: 'adapter libraries are imported only in src/adapters/ (and the UI)' })), ...ioPaths],
          patterns: [
            { group: ['**/runner/*'], message: 'the runner depends on steps, not the other way round (facts are returned, the runner records them)' },
            { group: ['../*/*', '!../../*'], message: "one step kind does not import another's folder: move what both use to src/steps/ or a domain" },
          ],
        },
      ],
    },
  },
);
