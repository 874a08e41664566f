import { readFile } from 'node:fs/promises';
import { fileDiagnostic, type Diagnostic } from './diagnostics.js';

/** Reads an input file, or explains in a diagnostic why it cannot be read. */
export async function readInput(file: string, what: string): Promise<{ text: string } | { diagnostic: Diagnostic }> {
  try {
    return { text: await readFile(file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? error);
    return { diagnostic: fileDiagnostic(file, `Cannot read the ${what}: ${why}`) };
  }
}
