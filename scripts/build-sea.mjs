// `npm run build:sea`: freshen as one executable file, dist-sea/freshen (Node's single-executable applications).
// dist/ (from `npm run build`) is bundled with esbuild into one CommonJS script, which is injected into a copy of the
// official Node.js binary of an LTS line (scripts/node-line.sh; --node PATH to use another). The result needs no
// node_modules and no Node.js on the machine, only the system's C libraries (linux-x64, glibc).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist-sea');
// The fuse every official Node.js binary carries, which postject flips when it injects the application.
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const { values } = parseArgs({ options: { node: { type: 'string' }, line: { type: 'string', default: '24' } } });
const node = values.node ?? execFileSync('bash', [join(ROOT, 'scripts/node-line.sh'), values.line], { encoding: 'utf8' }).trim();

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

const schemaText = (name) => readFileSync(join(ROOT, 'schemas', name), 'utf8');

/** esbuild plugins: what a file-less executable needs instead of files read at run time. */
const plugins = [
  {
    // The schemas and their ahead-of-time validators, built in (src/load/schemaSources.ts says why).
    name: 'schema-sources',
    setup(b) {
      b.onResolve({ filter: /\/schemaSources\.js$/ }, (args) => ({ path: join(args.resolveDir, 'schemaSources.js'), namespace: 'schema-sources' }));
      b.onLoad({ filter: /.*/, namespace: 'schema-sources' }, (args) => ({
        resolveDir: dirname(args.path),
        contents: [
          `import * as precompiled from './schemaValidators.cjs';`,
          `export const INVENTORY_SCHEMA_FILE = 'inventory.schema.json (built in)';`,
          `export const PLAYBOOK_SCHEMA_FILE = 'playbook.schema.json (built in)';`,
          `export const schemaTexts = () => ({ inventory: ${JSON.stringify(schemaText('inventory.schema.json'))}, playbook: ${JSON.stringify(schemaText('playbook.schema.json'))} });`,
          `export const precompiledModule = () => precompiled;`,
        ].join('\n'),
      }));
    },
  },
  {
    // dockerode loads .proto files beside its sources for BuildKit sessions and BuildKit progress; freshen builds with the
    // classic builder and never calls either, so they are left out rather than shipped as files the executable cannot read.
    name: 'dockerode-without-buildkit',
    setup(b) {
      b.onResolve({ filter: /^\.\/(session|buildkit)$/ }, (args) =>
        args.importer.includes(`${'/node_modules/dockerode/'}`) ? { path: args.path, namespace: 'no-buildkit' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'no-buildkit' }, () => ({
        contents: `module.exports = function () { throw new Error('BuildKit is not part of the freshen executable'); };
module.exports.followProgress = module.exports;`,
      }));
    },
  },
  {
    // ssh2's optional native helpers: required inside try/catch, so without them ssh2 uses its pure JavaScript code.
    name: 'optional-native',
    setup(b) {
      b.onResolve({ filter: /(\.node$|^cpu-features$)/ }, (args) => ({ path: args.path, external: true }));
    },
  },
];

const bundle = join(OUT, 'freshen.cjs');
const result = await build({
  stdin: {
    // As bin/freshen.js: --version alone answers without initialising the rest of the bundle.
    contents: `import { FRESHEN_VERSION } from './dist/shared/version.js';
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) process.stdout.write(FRESHEN_VERSION + '\\n');
else import('./dist/cli/main.js').then(({ main }) => main(process.argv)).then((code) => {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2000).unref();
});`,
    resolveDir: ROOT,
    sourcefile: 'sea-main.js',
  },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: bundle,
  plugins,
  logLevel: 'warning',
  legalComments: 'none',
});
if (result.errors.length > 0) process.exit(1);

const blob = join(OUT, 'freshen.blob');
const config = join(OUT, 'sea-config.json');
writeFileSync(config, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
execFileSync(node, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });

const exe = join(OUT, 'freshen');
copyFileSync(node, exe);
chmodSync(exe, 0o755);
const postject = join(ROOT, 'node_modules/postject/dist/cli.js');
// postject's warnings about the binary's note sections are harmless; its output is shown only when it fails.
try {
  execFileSync(process.execPath, [postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], { stdio: 'pipe' });
} catch (error) {
  process.stderr.write(`${error.stdout ?? ''}${error.stderr ?? ''}`);
  throw error;
}
rmSync(blob);
rmSync(config);

const version = execFileSync(exe, ['--version'], { encoding: 'utf8' }).trim();
const mib = (path) => (statSync(path).size / 2 ** 20).toFixed(1);
console.log(`built ${exe}: freshen ${version} on Node.js ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}, ${mib(exe)} MiB (bundle ${mib(bundle)} MiB)`);
