import { FRESHEN_VERSION } from '../shared/version.js';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { COMPLETION_SHELLS, completionScript, type CompletionShell } from './completion.js';
import { checkDuration } from '../model/duration.js';
import { EXIT } from './exitCodes.js';
import { processOutput, redactingOutput, reportDiagnostics, type Output } from './output.js';
// The loader (yaml, ajv, the schemas) and everything after it are imported by the commands that need them, so
// `freshen --version` and `--help` start about as fast as node itself.

const collect = (value: string, previous: string[]): string[] => [...previous, value];
/** `-i`, as in Ansible: a YAML or INI file or a directory, given once or several times (later ones override earlier ones). */
const INVENTORY_FLAG = '-i, --inventory <source>';
const INVENTORY_HELP = 'inventory: a YAML or INI file or a directory of them (repeatable: later ones override earlier ones)';
const collectFirst = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return n;
};

const duration = (value: string): number => {
  const checked = checkDuration(value);
  if ('problem' in checked) throw new InvalidArgumentError(`This ${checked.problem}.`);
  return checked.ms;
};

/** Builds the CLI; every action stores its exit code in `result.code`. */
function program(output: Output, result: { code: number }): Command {
  const cli = new Command('freshen')
    .description('Keep Docker images and the containers that run them fresh.')
    .version(FRESHEN_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => output.out(s), writeErr: (s) => output.err(s) })
    .showHelpAfterError();

  cli
    .command('run')
    .description('Run a playbook against an inventory.')
    .argument('<playbook>', 'playbook file (YAML)')
    .requiredOption(INVENTORY_FLAG, INVENTORY_HELP, collectFirst)
    .option('-C, --check', 'plan and report what would change; change nothing', false)
    .option('-D, --diff', 'show, per host and container, the image before and after and whether it is replaced; and the diff of every file pin changes', false)
    .option('-l, --limit <pattern>', 'further limit the hosts with a host pattern')
    .option('--ignore-window', "run plays outside their maintenance windows (a play's window:)", false)
    .option('-e, --extra-vars <key=value>', 'set a variable, overriding the inventory and playbook (repeatable)', collect, [])
    .addOption(new Option('-f, --forks <n>', 'how many hosts of a batch run at once').argParser(positiveInt).default(5))
    .option('--json <file>', 'write the results as JSON to this file on every exit (- for stdout, the rest then goes to stderr)')
    .option('-v, --verbose', 'print progress lines too (when not on a terminal)', false)
    // Kamal, Terraform and kubectl users type --dry-run: say what freshen calls it instead of "unknown option".
    .addOption(new Option('--dry-run').hideHelp())
    .addOption(
      new Option('--lock-wait <duration>', 'wait this long for another run holding a host (e.g. 5m)').argParser(duration).default(0, '0: fail at once'),
    )
    .action(async (playbook: string, flags) => {
      if (flags.dryRun) {
        output.err('freshen: there is no --dry-run; --check (-C) plans every step, says what would change and changes nothing');
        result.code = EXIT.invalidInput;
        return;
      }
      // Loaded only for `run`: the engine, SSH and live-view libraries are most of the start-up time of the other commands.
      const { runCommand } = await import('./runCommand.js');
      result.code = await runCommand(output, playbook, { ...flags, extraVars: flags.extraVars, lockWaitMs: flags.lockWait });
    });

  cli.commands.find((command) => command.name() === 'run')!.addHelpText('after', RUN_EXAMPLES);

  cli
    .command('status')
    .description('Show what is stale and why, and which build every managed container and service runs; change nothing.')
    .argument('<playbook>', 'playbook file (YAML)')
    .requiredOption(INVENTORY_FLAG, INVENTORY_HELP, collectFirst)
    .option('-e, --extra-vars <key=value>', 'set a variable (repeatable)', collect, [])
    .addOption(new Option('-f, --forks <n>', 'how many hosts are asked at once').argParser(positiveInt).default(5))
    .option('--json <file>', 'write the status as JSON to this file')
    .option('--html <file>', 'write the status as one self-contained HTML page')
    .action(async (playbook: string, flags) => {
      const { statusCommand } = await import('./statusCommand.js');
      result.code = await statusCommand(output, playbook, { ...flags, extraVars: flags.extraVars });
    });

  cli
    .command('validate')
    .description('Check a playbook and its inventory; run nothing.')
    .argument('<playbook>', 'playbook file (YAML)')
    .requiredOption(INVENTORY_FLAG, INVENTORY_HELP, collectFirst)
    .option('-e, --extra-vars <key=value>', 'set a variable (repeatable)', collect, [])
    .action(async (playbook: string, flags) => {
      const { loadInputs } = await import('./loadInputs.js');
      const inputs = await loadInputs(output, playbook, flags.inventory, flags.extraVars);
      if (!inputs) {
        result.code = EXIT.invalidInput;
        return;
      }
      const plays = inputs.playbook.plays.length;
      const hosts = inputs.inventory.hosts.size;
      output.out(`${playbook}: valid (${plays} play${plays === 1 ? '' : 's'}, ${hosts} host${hosts === 1 ? '' : 's'} in ${flags.inventory.join(', ')})`);
      result.code = EXIT.ok;
    });

  cli
    .command('rollback')
    .description("Point the rollout tag back at an earlier build's manifest (no rebuild); the rollout steps carry it to the hosts.")
    .argument('<image>', 'repository, e.g. lab/web (or with the registry: 127.0.0.1:5055/lab/web)')
    .argument('<tag>', 'the earlier tag, e.g. the datestamp 20261101-0300')
    .requiredOption(INVENTORY_FLAG, INVENTORY_HELP, collectFirst)
    .option('-C, --check', 'say what would change; change nothing', false)
    .option('-e, --extra-vars <key=value>', 'set a variable, e.g. rollout_tag=prod (repeatable)', collect, [])
    .option('--json <file>', 'write the result and the recap as JSON (schemas/report.schema.json)')
    .action(async (image: string, tag: string, flags) => {
      const { rollbackCommand } = await import('./rollbackCommand.js');
      result.code = await rollbackCommand(output, image, tag, flags);
    });

  cli
    .command('sbom')
    .description('Print the SBOM (CycloneDX JSON) attached to an image that freshen built or patched.')
    .argument('<image>', 'the image with its registry, e.g. 127.0.0.1:5055/vendor/nginx:prod (or @sha256:…)')
    .option(INVENTORY_FLAG, `${INVENTORY_HELP}, for the registry's TLS files and credentials`, collectFirst)
    .option('-e, --extra-vars <key=value>', 'set a variable (repeatable)', collect, [])
    .action(async (image: string, flags) => {
      const { sbomCommand } = await import('./sbomCommand.js');
      result.code = await sbomCommand(output, image, flags);
    });

  cli
    .command('init')
    .description('Read the live fleet, changing nothing; write an inventory and a playbook for it, and say what freshen would manage and why not.')
    .option(INVENTORY_FLAG, `${INVENTORY_HELP}; without it, give --host and --registry`, collectFirst)
    .option('--host <name=address>', 'a Docker host: web1=ssh://deploy@web1.example.org, or unix:// or tcp:// (repeatable)', collect, [])
    .option('--registry <host[:port]>', 'the registry whose images freshen manages (else the inventory says)')
    .option('--rollout-tag <tag>', 'the tag a managed container runs (default: the inventory says, else prod)')
    .option('--images <dir>', 'a tree of Dockerfiles, one directory per repository: adds a play that rebuilds them')
    .option('--builder <host>', 'the host that rebuilds (default: the first Docker host)')
    .option('-o, --out <dir>', 'where to write inventories/production.yml and playbooks/freshen.yml', '.')
    .option('--force', 'replace those files if they exist', false)
    .addOption(new Option('-f, --forks <n>', 'how many hosts are read at once').argParser(positiveInt).default(10))
    .addHelpText(
      'after',
      '\nExamples:\n  freshen init --registry registry.example.org --host web1=ssh://deploy@web1.example.org --host web2=ssh://deploy@web2.example.org\n  freshen init -i inventories/production.yml --images images\n',
    )
    .action(async (flags) => {
      const { initCommand } = await import('./initCommand.js');
      result.code = await initCommand(output, flags);
    });

  cli
    .command('ping')
    .description('Check that every host can be reached each way the inventory says: engine, SSH and registry; change nothing.')
    .requiredOption(INVENTORY_FLAG, INVENTORY_HELP, collectFirst)
    .option('-l, --limit <pattern>', 'only the hosts that match this pattern')
    .option('-e, --extra-vars <key=value>', 'set a variable (repeatable)', collect, [])
    .addOption(new Option('-f, --forks <n>', 'how many checks run at once').argParser(positiveInt).default(20))
    .addHelpText('after', '\nExamples:\n  freshen ping -i inventories/production.yml\n  freshen ping -i inventories/production.yml --limit canary\n')
    .action(async (flags) => {
      const { pingCommand } = await import('./pingCommand.js');
      result.code = await pingCommand(output, flags);
    });

  cli
    .command('inventory')
    .description('Show the inventory as freshen understands it (secrets redacted).')
    .requiredOption(INVENTORY_FLAG, INVENTORY_HELP, collectFirst)
    .option('--list', 'print groups, hosts and merged host variables as JSON', false)
    .action(async (flags) => {
      const { inventoryListing, loadInventory } = await import('../load/index.js');
      const loaded = await loadInventory(flags.inventory);
      if (reportDiagnostics(output, loaded.diagnostics) || !loaded.value) {
        result.code = EXIT.invalidInput;
        return;
      }
      output.out(JSON.stringify(inventoryListing(loaded.value), null, 2));
      result.code = EXIT.ok;
    });
  cli
    .command('completion')
    .description('Print a shell completion script (bash, zsh or fish).')
    .addArgument(new Argument('<shell>', 'the shell').choices(COMPLETION_SHELLS))
    .addHelpText('after', '\nExamples:\n  source <(freshen completion bash)\n  freshen completion fish > ~/.config/fish/completions/freshen.fish\n')
    .action((shell: CompletionShell) => {
      const commands = cli.commands.map((command) => ({
        name: command.name(),
        description: command.description(),
        options: command.options.filter((option) => !option.hidden).map((option) => ({ flags: option.flags, description: option.description })),
      }));
      output.out(completionScript(shell, commands));
      result.code = EXIT.ok;
    });

  cli.addHelpText('after', `${TOP_EXAMPLES}${EXIT_CODES_HELP}${ENVIRONMENT_HELP}`);
  return cli;
}

const RUN_EXAMPLES = `
Examples:
  freshen run playbooks/freshen.yml -i inventories/production.yml --check --diff
  freshen run playbooks/freshen.yml -i inventories/production.yml --limit canary --json -
  freshen run playbooks/freshen.yml -i inventories/production.yml -e keep=3 --lock-wait 10m
`;

const TOP_EXAMPLES = `
Examples:
  freshen validate playbooks/freshen.yml -i inventories/production.yml
  freshen run playbooks/freshen.yml -i inventories/production.yml --check --diff
  freshen status playbooks/freshen.yml -i inventories/production.yml --html status.html
  freshen rollback -i inventories/production.yml team/api 20261101-0300
`;

const EXIT_CODES_HELP = `
Exit codes:
  0    everything ok
  1    another run holds one of the hosts (see --lock-wait)
  2    a host failed, or a replacement was rolled back
  4    a host (its engine, SSH or registry) could not be reached
  5    invalid input: the playbook, the inventory, -e or an option; nothing ran
  130  interrupted (SIGINT, SIGTERM)
  250  an unexpected error (a bug; FRESHEN_DEBUG=1 shows where)
`;

const ENVIRONMENT_HELP = `
Environment:
  FRESHEN_CACHE_DIR  image config cache (default $XDG_CACHE_HOME/freshen, else ~/.cache/freshen)
  FRESHEN_STATE_DIR  what notifications were sent (default $XDG_STATE_HOME/freshen, else ~/.local/state/freshen)
  FRESHEN_LOCK_DIR   host locks shared by several control nodes (default: a directory of this user's in the temp dir)
  DOCKER_CONFIG      where docker login keeps credentials (default ~/.docker)
  SSH_AUTH_SOCK      ssh-agent, for SSH hosts with no identity_file
  FRESHEN_DEBUG      set to show stack traces and Node.js deprecation warnings
`;

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: string[], given: Output = processOutput): Promise<number> {
  const result = { code: EXIT.ok as number };
  // A dependency's use of a deprecated Node.js API (docker-modem's url.parse on Node 24) is news for freshen's developers,
  // not its users: shown only with FRESHEN_DEBUG.
  if (!process.env.FRESHEN_DEBUG) process.noDeprecation = true;
  const output = redactingOutput(given);
  try {
    await program(output, result).parseAsync(argv);
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.invalidInput;
    }
    output.err(`freshen: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.FRESHEN_DEBUG && error instanceof Error && error.stack) output.err(error.stack);
    return EXIT.unexpected;
  }
}
