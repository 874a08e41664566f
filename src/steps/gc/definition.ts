import { hostsAsSubject } from '../../shared/hostList.js';
import { defineKind } from '../stepKind.js';
import { parseGcOptions } from './gcOptions.js';

/** `gc`: what the loader and the schema know of the kind; its plan and apply are in gc.ts, loaded only for a run. */
export const gcKind = defineKind({
  kind: 'gc',
  needs: ['registry'],
  summary: "Delete registry tags past retention and sweep the registry's storage.",
  options: {
    description: "Delete registry tags past retention (never one still running anywhere), then sweep the registry's storage over SSH.",
    type: ['object', 'null'],
    properties: {
      keep: {
        description: 'Datestamp tags to keep per repository besides the rollout tag (default 5).',
        type: 'integer',
        minimum: 0,
        examples: [5],
      },
      sweep: {
        description: "Run the registry's garbage collection over SSH after deleting (default true; needs `ssh` and `registry_gc`).",
        type: 'boolean',
      },
      push_wait: {
        description: "How long to wait for this run's pushes to finish before sweeping, then fail (default 10m).",
        $ref: '#/$defs/duration',
      },
    },
    additionalProperties: false,
  },
  optionsPhrase: 'a map of gc options',
  parseOptions: (raw) => parseGcOptions(raw),
  // The sweep runs the registry's own garbage-collect over SSH.
  loadChecks: ({ options, hosts, varsOf }) => {
    if (options.sweep === false) return [];
    const lacking = (name: string): string[] =>
      hosts.filter((host) => {
        const value = varsOf(host)[name];
        return typeof value !== 'object' || value === null || Array.isArray(value);
      });
    const problems = [];
    const noSsh = lacking('ssh');
    if (noSsh.length > 0) {
      const t = hostsAsSubject(noSsh);
      problems.push({
        message: `The gc step sweeps the registry over SSH, but ${t.list} ${t.have} no "ssh" variable; give ${t.them} one, for example ssh: {host: registry.example.org, user: admin}, or set sweep: false`,
      });
    }
    const noCommand = lacking('registry_gc');
    if (noCommand.length > 0) {
      const t = hostsAsSubject(noCommand);
      problems.push({
        message: `The gc step sweeps the registry with the "registry_gc" commands, but ${t.list} ${t.have} none; give ${t.them} registry_gc: {command: …}, or set sweep: false`,
      });
    }
    return problems;
  },
  load: async () => (await import('./gc.js')).gcStep,
});
