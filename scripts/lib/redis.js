// A throwaway Redis (Debian's redis-server, installed by scripts/system-deps.sh)
// for tests and local production runs: no persistence, loopback only.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const { freePort } = require('./portal');

function redisServerPath() {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return undefined;
  }
}

/**
 * Starts redis-server on `port` (default: a free one). `stop()` ends it,
 * `restart()` stops it and starts it again on the same port (empty).
 */
async function startRedis({ port } = {}) {
  const bin = redisServerPath();
  if (!bin) {
    throw new Error(
      'redis-server is not installed: run scripts/system-deps.sh as root (apt-get install redis-server)',
    );
  }
  const redisPort = port ?? (await freePort());
  let child;
  const launch = () =>
    new Promise((resolve, reject) => {
      child = spawn(
        bin,
        [
          '--port',
          String(redisPort),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      const onData = d => {
        output += d;
        if (output.includes('Ready to accept connections')) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', code =>
        reject(new Error(`redis-server exited (${code}): ${output}`)),
      );
    });
  const stop = () =>
    new Promise(resolve => {
      // Killed by a signal, exitCode stays null: signalCode tells.
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        return resolve();
      }
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  await launch();
  return {
    url: `redis://127.0.0.1:${redisPort}`,
    port: redisPort,
    stop,
    async restart() {
      await stop();
      await launch();
    },
  };
}

module.exports = { startRedis, redisServerPath };
