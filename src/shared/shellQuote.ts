/** Quotes a word for a POSIX shell; plain words stay as they are so commands read naturally. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_/.:,=+@%-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
