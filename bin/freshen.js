#!/usr/bin/env node
// The installed command. It loads the compiled CLI; a checkout that was never built, or whose dependencies were never
// installed, is told what to run instead of shown a stack trace.
const args = process.argv.slice(2);
// `freshen --version` is asked often (scripts, CI, monitoring): it answers from one small module, not the whole CLI.
const versionOnly = args.length === 1 && (args[0] === '--version' || args[0] === '-V');
let loaded;
try {
  loaded = versionOnly ? await import('../dist/shared/version.js') : await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  const missingBuild = /\/dist\/(cli\/main|shared\/version)\.js/.test(String(error.message));
  process.stderr.write(
    missingBuild
      ? 'freshen: the compiled CLI (dist/) is missing. In this checkout, run: npm ci && npm run build\n'
      : `freshen: a dependency is missing (${error.message.split('\n')[0]}). In this checkout, run: npm ci\n`,
  );
  process.exit(250);
}

if (versionOnly) {
  process.stdout.write(`${loaded.FRESHEN_VERSION}\n`);
} else {
  loaded.main(process.argv).then((code) => {
    process.exitCode = code;
    // The run is over: a socket some library failed to close must not keep the process alive (unref: a clean exit is not delayed).
    setTimeout(() => process.exit(code), 2000).unref();
  });
}
