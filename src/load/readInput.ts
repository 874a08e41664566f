import { readFile } from 'node:fs/promises';
import { fileDiagnostic, type Diagnostic } from './diagnostics.js';
import { firstInvalidUtf8, positionOf } from './utf8.js';

/** Reads an input file as UTF-8, or explains in a diagnostic why it cannot be read. */
export async function readInput(file: string, what: string): Promise<{ text: string } | { diagnostic: Diagnostic }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? error);
    return { diagnostic: fileDiagnostic(file, `Cannot read the ${what}: ${why}`) };
  }
  return decodeInput(file, what, bytes);
}

/** The text of `bytes`; a file that is not UTF-8 is refused at its first bad byte rather than decoded into U+FFFD. */
export function decodeInput(file: string, what: string, bytes: Buffer): { text: string } | { diagnostic: Diagnostic } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { diagnostic: fileDiagnostic(file, `The ${what} is UTF-16; save it as UTF-8`) };
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad === undefined) return { text: bytes.toString('utf8') };
  const { line, col, sourceLine } = positionOf(bytes, bad);
  const byte = bytes[bad]!.toString(16).toUpperCase().padStart(2, '0');
  return {
    diagnostic: {
      file,
      line,
      col,
      message: `The ${what} is not UTF-8: byte 0x${byte} at offset ${bad} (was it saved as Latin-1 or Windows-1252?)`,
      severity: 'error',
      sourceLine,
    },
  };
}
