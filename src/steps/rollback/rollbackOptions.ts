import { OptionError } from '../optionError.js';

/** The rollback step's options: which repository's rollout tag to point back, and at which earlier tag. */
export interface RollbackOptions {
  repository: string;
  tag: string;
}

const REPOSITORY = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function parseRollbackOptions(options: Record<string, unknown>): RollbackOptions {
  const { repository, tag } = options;
  if (typeof repository !== 'string' || !REPOSITORY.test(repository)) {
    throw new OptionError(`rollback: repository must be a repository name such as lab/web, not ${JSON.stringify(repository)}`, ['repository']);
  }
  if (typeof tag !== 'string' || !TAG.test(tag))
    throw new OptionError(`rollback: tag must be an image tag such as 20261128-0301, not ${JSON.stringify(tag)}`, ['tag']);
  return { repository, tag };
}
