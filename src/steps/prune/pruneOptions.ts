import { OptionError, repositoryGlobsOption } from '../optionError.js';

/** The prune step's options with defaults applied. */
export interface PruneOptions {
  /** Repository globs below the registry (`team/*`); empty: every repository of the registry. */
  repositories: string[];
  /** Keep each managed container's previous image for a rollback (default true). */
  keepPrevious: boolean;
}

/** Applies defaults; throws on values the schema should have rejected, naming the option. */
export function parsePruneOptions(options: Record<string, unknown> | null | undefined): PruneOptions {
  const { keep_previous: keepPrevious = true } = options ?? {};
  const repositories = repositoryGlobsOption(options ?? {}, 'repositories') ?? [];
  if (typeof keepPrevious !== 'boolean')
    throw new OptionError(`prune: keep_previous must be true or false, not ${JSON.stringify(keepPrevious)}`, ['keep_previous']);
  return { repositories, keepPrevious };
}
