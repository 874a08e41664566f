// Start-up of freshen as users install it (docs/benchmarks.md, "Start-up of the installed command"): the npm package packed
// from this checkout and installed with --omit=dev into a temporary prefix, and the single executable (dist-sea/freshen,
// built when missing), each against `node -e 0` on the same Node.js, measured in interleaved rounds so that the machine's
// load hits every contender alike. Quote the medians of the per-round ratios.
//
//   $(bash scripts/node-line.sh 24) bench/startup.mjs      # the executable embeds Node.js 24: compare on the same line
//
// BENCH_ROUNDS (default 30). Needs npm and the npm registry (the install); no lab.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(new URL('..', import.meta.url).pathname);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const NODE = process.execPath;
const log = (line) => process.stderr.write(`bench: ${line}\n`);

const work = mkdtempSync(join(tmpdir(), 'freshen-bench-startup-'));
try {
  log('packing and installing the package');
  // npm runs with the Node.js of this benchmark first on PATH, so the installed command's `env node` is that one too.
  // Offline: the dependencies come from the cache `npm ci` filled, so the benchmark sends nothing past the loopback.
  const env = { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false', PATH: `${resolve(NODE, '..')}:${process.env.PATH}` };
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO, env, encoding: 'utf8' }));
  const prefix = join(work, 'prefix');
  execFileSync('npm', ['install', '--global', '--prefix', prefix, '--omit=dev', '--no-audit', '--no-fund', join(work, packed[0].filename)], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const installed = join(prefix, 'lib/node_modules/freshen-cli');
  const sea = join(REPO, 'dist-sea/freshen');
  if (!existsSync(sea)) {
    log('building the single executable');
    execFileSync(NODE, [join(REPO, 'scripts/build-sea.mjs')], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  }

  // The example a new user validates first: the shipped inventory and playbook, with the playbook's image tree present.
  const infra = join(work, 'infra');
  for (const file of ['inventories/example.yml', 'playbooks/freshen.yml']) cpSync(join(installed, file), join(infra, file));
  mkdirSync(join(infra, 'lab/images'), { recursive: true });
  const validate = ['validate', 'playbooks/freshen.yml', '-i', 'inventories/example.yml'];

  const contenders = {
    'node -e 0': [NODE, ['-e', '0']],
    'freshen --version (package)': [NODE, [join(installed, 'bin/freshen.js'), '--version']],
    'freshen validate (package)': [NODE, [join(installed, 'bin/freshen.js'), ...validate]],
    'freshen --version (executable)': [sea, ['--version']],
    'freshen validate (executable)': [sea, validate],
  };
  const times = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  const run = ([command, args]) => {
    const started = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd: infra, stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    return ms;
  };
  log(`${ROUNDS} rounds`);
  for (const contender of Object.values(contenders)) run(contender); // warm-up: the page cache, not the measurement
  const load = loadavg()[0].toFixed(1);
  for (let round = 0; round < ROUNDS; round++) for (const [name, contender] of Object.entries(contenders)) times[name].push(run(contender));

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const floor = times['node -e 0'];
  const ms = (x) => `${Math.round(x)} ms`;
  console.log(`Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0].model}, load average ${load} at the start;`);
  console.log(`Node.js ${process.version} (the executable embeds its own: \`dist-sea/freshen\`); ${ROUNDS} interleaved rounds.\n`);
  console.log('| command | wall time, median (min–max) | × `node -e 0`, median of per-round ratios (min–max) |');
  console.log('|---|---|---|');
  for (const [name, xs] of Object.entries(times)) {
    const ratios = xs.map((x, i) => x / floor[i]);
    console.log(
      `| ${name} | ${ms(median(xs))} (${ms(Math.min(...xs))}–${ms(Math.max(...xs))}) | ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) |`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
