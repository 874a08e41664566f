#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
  // The run is over: a socket some library failed to close must not keep the process alive (unref: a clean exit is not delayed).
  setTimeout(() => process.exit(code), 2000).unref();
});
