// `freshen completion bash|zsh|fish`: shell completion scripts, built from the CLI's own commands and options so they never
// fall behind it. Pure: main.ts hands in what commander knows.

/** A command as completion needs it: its name, what it does, and its options' flags (`-i, --inventory <file>`). */
export interface CompletionCommand {
  name: string;
  description: string;
  options: Array<{ flags: string; description: string }>;
}

export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** `--inventory` and `-i` of `-i, --inventory <file>`. */
const words = (flags: string): string[] => flags.split(/[ ,|]+/).filter((word) => word.startsWith('-'));
/** Single-quoted for sh and fish: a quote inside becomes '\'' (sh) or \' (fish). */
const shQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;
const fishQuote = (text: string): string => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

function bash(commands: CompletionCommand[]): string {
  const cases = commands.map((c) => `    ${c.name}) opts=${shQuote(c.options.flatMap((o) => words(o.flags)).join(' '))} ;;`);
  return [
    '# freshen completion for bash: source <(freshen completion bash), or save it as /etc/bash_completion.d/freshen',
    '_freshen() {',
    '  local cur=${COMP_WORDS[COMP_CWORD]} opts=',
    '  if ((COMP_CWORD == 1)); then',
    `    mapfile -t COMPREPLY < <(compgen -W ${shQuote(commands.map((c) => c.name).join(' '))} -- "$cur")`,
    '    return',
    '  fi',
    '  case ${COMP_WORDS[1]} in',
    ...cases,
    '  esac',
    '  if [[ $cur == -* ]]; then',
    '    mapfile -t COMPREPLY < <(compgen -W "$opts --help" -- "$cur")',
    '  else',
    '    mapfile -t COMPREPLY < <(compgen -f -- "$cur")',
    '  fi',
    '}',
    'complete -o filenames -F _freshen freshen',
    '',
  ].join('\n');
}

function zsh(commands: CompletionCommand[]): string {
  // zsh runs the bash function through its bashcompinit layer: one script to keep right, not two.
  return ['# freshen completion for zsh: source <(freshen completion zsh) in ~/.zshrc', 'autoload -U +X bashcompinit && bashcompinit', bash(commands)].join(
    '\n',
  );
}

function fish(commands: CompletionCommand[]): string {
  const lines = ['# freshen completion for fish: freshen completion fish > ~/.config/fish/completions/freshen.fish', 'complete -c freshen -f'];
  for (const c of commands) lines.push(`complete -c freshen -n __fish_use_subcommand -a ${c.name} -d ${fishQuote(c.description)}`);
  for (const c of commands) {
    for (const option of c.options) {
      const flags = words(option.flags)
        .map((w) => (w.startsWith('--') ? `-l ${w.slice(2)}` : `-s ${w.slice(1)}`))
        .join(' ');
      const takesValue = /[<[]/.test(option.flags) ? ' -r -F' : '';
      lines.push(`complete -c freshen -n '__fish_seen_subcommand_from ${c.name}' ${flags}${takesValue} -d ${fishQuote(option.description)}`);
    }
    // Playbooks and image names are arguments: files are offered after the command.
    lines.push(`complete -c freshen -n '__fish_seen_subcommand_from ${c.name}' -F`);
  }
  return `${lines.join('\n')}\n`;
}

/** The completion script for `shell`. */
export function completionScript(shell: CompletionShell, commands: CompletionCommand[]): string {
  switch (shell) {
    case 'bash':
      return bash(commands);
    case 'zsh':
      return zsh(commands);
    case 'fish':
      return fish(commands);
    default: {
      const never: never = shell;
      throw new Error(`no completion for ${String(never)}`);
    }
  }
}
