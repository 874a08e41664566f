/**
 * Every `code` a failed step result may carry, with what it means. The JSON report's schema lists exactly these (a test holds the
 * two together), and docs/steps.md shows them.
 */
export const FAILURE_CODES = {
  error: 'an unexpected error inside the step; its reason is the error',
  failed: 'the step failed; its reason says why',
  interrupted: 'Ctrl-C or SIGTERM stopped the step; what it had started was finished or rolled back',
  'bad-option': 'a step option that makes no sense (validate reports it before a run)',
  'build-failed': 'an image did not build',
  'patch-failed': "an image's upgrade did not run, exited non-zero or could not be committed as one layer",
  'rebase-failed': 'writing a rebased image failed, or the rollout tag or the base moved since the plan; the image is left as it was',
  'push-failed': 'a push did not complete, or the registry does not serve what was pushed',
  'pull-failed': 'a pull did not complete',
  'stop-failed': 'a container could not be stopped and parked (it was restored)',
  unhealthy: 'the replacement reported unhealthy; the old container was put back',
  'health-timeout': 'the replacement did not become healthy in time; the old container was put back',
  exited: 'the replacement exited or was restarted; the old container was put back',
  'probe-failed': 'the replacement did not pass the probe command in time; the old container was put back',
  'replace-failed': 'creating or starting the replacement failed; the old container was put back',
  'start-first-refused':
    'order: start-first was asked for a container that cannot run twice at once (host ports, host network, a shared namespace, devices, a fixed address); nothing was changed',
  'parked-missing': 'a parked container vanished before it could be replaced',
  'name-conflict': "a container of another image holds a parked container's name; nothing was changed",
  'rejoin-failed': 'a container sharing the replaced container’s network namespace could not be recreated onto it',
  'delete-failed': 'the registry refused to delete a manifest',
  'verify-failed': 'a copied blob or manifest did not verify at the destination',
  'digest-mismatch': 'content did not hash to the digest that names it',
  'no-ssh': 'gc would sweep but the registry host has no ssh settings',
  'in-use-unknown': 'gc could not ask every Docker host what it runs, so it deleted nothing',
  'push-in-flight': 'gc waited for this run’s pushes and they did not finish in time',
  'gc-dry-run-failed': "the collector's dry run failed or could not be read",
  'gc-before-failed': 'registry_gc.before failed; nothing was swept',
  'gc-command-failed': 'the collector failed; registry_gc.after was still run',
  'gc-after-failed': 'registry_gc.after failed twice; the registry may be down',
  'registry-down': 'the registry did not answer after the sweep',
  'service-rolled-back': "Swarm rolled a service's update back (its failure action); the reason has Swarm's message and the failed tasks' errors",
  'service-paused': "Swarm paused a service's update (failure_action: pause, or its rollback failed); it waits for someone",
  'pin-dirty': 'a file pin would change has uncommitted changes in the working tree (allow_dirty: true commits anyway); nothing was committed',
  'pin-push-failed': 'the pin commit could not be pushed: the remote refused it, or its branch moved under three tries in a row; nothing was forced',
  'service-timeout': 'a service was still updating when the step gave up waiting; Swarm goes on with it',
} as const;

/** Every `code` an unreachable step result may carry. */
export const UNREACHABLE_CODES = {
  unreachable: 'the host, engine, SSH server or registry could not be reached',
  'connection-refused': 'nothing listens at the address',
  'connection-lost': 'the connection dropped while the step used it',
  'socket-unreachable': "the engine's socket on an ssh:// host could not be opened",
  timeout: 'the peer did not answer in time',
  'tls-error': 'the TLS certificate did not verify against the CA given',
  'auth-failed': 'the SSH server did not accept the key',
  'host-key-unknown': 'the SSH host key is not in known_hosts',
  'host-key-mismatch': 'the SSH host key differs from the one in known_hosts',
  'host-key-revoked': 'the SSH host key is marked @revoked',
  'api-mismatch': 'the Docker Engine and freshen share no Engine API version',
} as const;

export type FailureCode = keyof typeof FAILURE_CODES;
export type UnreachableCode = keyof typeof UNREACHABLE_CODES;

export const isFailureCode = (code: unknown): code is FailureCode => typeof code === 'string' && Object.hasOwn(FAILURE_CODES, code);
export const isUnreachableCode = (code: unknown): code is UnreachableCode => typeof code === 'string' && Object.hasOwn(UNREACHABLE_CODES, code);
