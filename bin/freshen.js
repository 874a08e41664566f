#!/usr/bin/env node
// The installed command. It loads the compiled CLI; a checkout that was never built, or whose dependencies were never
// installed, is told what to run instead of shown a stack trace.
const args = process.argv.slice(2);
// A reader that goes away (`freshen --help | head`, a closed terminal) must not crash freshen with EPIPE, least of all in
// the middle of a rollout: what is left to print is dropped, the run goes on to its end, and its exit code is kept.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error?.code !== 'EPIPE') throw error;
  });
}
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
