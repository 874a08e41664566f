/**
 * A step option the schema let through that still makes no sense (a duration that does not parse, a date format without a
 * token). `path` names the option below the step's options (`['probe', 'network']`), so the loader can point at it.
 */
export class OptionError extends Error {
  override name = 'OptionError';
  readonly code = 'bad-option';

  constructor(
    message: string,
    readonly path: ReadonlyArray<string | number> = [],
  ) {
    super(message);
  }
}
