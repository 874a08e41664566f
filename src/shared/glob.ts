// Globs over repository names and tags, as backup and pin take them. Pure.

/** `*` any run of characters (slashes too), `?` one character; everything else literal. */
export function globMatcher(globs: string[] | undefined): (name: string) => boolean {
  if (globs === undefined) return () => true;
  const patterns = globs.map(
    (glob) =>
      new RegExp(
        `^${glob
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replaceAll('*', '.*')
          .replaceAll('?', '.')}$`,
      ),
  );
  return (name) => patterns.some((pattern) => pattern.test(name));
}
