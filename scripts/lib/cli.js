// Shared by the local-service CLIs (github-fake.js, gcs-fake.js): reading
// `--name value` options and serving until SIGTERM/SIGINT.
'use strict';

/** The value after `--<name>` on the command line, or `fallback`. */
function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/**
 * Runs `start()`, prints the JSON line it returns (`ready: true` added) to
 * stdout, and calls `stop()` then exits 0 on SIGTERM/SIGINT. A failed start
 * exits 1.
 */
function serve(start) {
  start()
    .then(({ ready, stop }) => {
      process.stdout.write(`${JSON.stringify({ ready: true, ...ready })}\n`);
      const onSignal = () => stop().then(() => process.exit(0));
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    })
    .catch(error => {
      console.error(error);
      process.exit(1);
    });
}

module.exports = { option, serve };
