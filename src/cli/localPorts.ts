import { hostGuard } from '../adapters/hostGuard.js';
import { localFiles } from '../adapters/localFiles.js';

/** The ports a real run hands the runner: the host guard beside each engine, and this machine's files. */
export const LOCAL_PORTS = { guard: hostGuard, files: localFiles };
