/** Exit codes, as ansible-playbook uses them. */
export const EXIT = {
  ok: 0,
  /** Another freshen run holds a lock on one of the hosts (after `--lock-wait`). */
  locked: 1,
  hostFailed: 2,
  hostUnreachable: 4,
  invalidInput: 5,
  interrupted: 130,
  unexpected: 250,
} as const;
