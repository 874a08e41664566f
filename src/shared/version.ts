/** freshen's version, as `--version` prints it and SBOMs name their tool. */
export const FRESHEN_VERSION = '0.1.0';
