// Runs the portal's container image without a container engine, the way the
// container tests and docs/container.md do: `buildah from` + `buildah run
// --isolation chroot` on the host network, the image's own user, working
// directory and command. Images are built by scripts/container/build.sh.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { collectOutput, waitReady } = require('./portal');

const defaultImage = process.env.PORTAL_IMAGE || 'localhost/portal:latest';

function buildah(args, opts = {}) {
  return execFileSync('buildah', args, { encoding: 'utf8', ...opts }).trim();
}

/** The image's OCI config (User, Env, Cmd, WorkingDir, ...) or undefined. */
function imageConfig(image = defaultImage) {
  try {
    return JSON.parse(
      buildah(['inspect', '--type', 'image', image], {
        stdio: ['ignore', 'pipe', 'ignore'],
        maxBuffer: 64 * 1024 * 1024,
      }),
    ).OCIv1.config;
  } catch {
    return undefined;
  }
}

/** A working container of `image`: its name and its root filesystem, mounted. */
function mountImage(image = defaultImage) {
  const ctr = buildah(['from', '--pull-never', '--quiet', image]);
  const root = buildah(['mount', ctr]);
  return {
    ctr,
    root,
    remove() {
      try {
        buildah(['umount', ctr]);
      } catch {
        /* already unmounted */
      }
      buildah(['rm', ctr]);
    },
  };
}

/** Pids of every descendant of `pid` (from /proc). */
function descendants(pid) {
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      /* gone */
    }
  }
  const out = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of children.get(queue.shift()) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/**
 * Starts the image's command in a new working container of `image` with
 * `env` (added to the image's own environment), on the host network.
 * `waitReady()` resolves with ms from spawn to a 200 from the readiness
 * endpoint; `serverPid()` finds the node process itself (signals must go to
 * it, not to the buildah wrapper); `exited` resolves with the exit code of
 * `buildah run`, which is the command's.
 */
function runImage({ image = defaultImage, env = {}, logFile } = {}) {
  const config = imageConfig(image);
  if (!config)
    throw new Error(`image ${image} not found: run scripts/container/build.sh`);
  const ctr = buildah(['from', '--pull-never', '--quiet', image]);
  const args = ['run', '--isolation', 'chroot', '--network', 'host'];
  for (const [k, v] of Object.entries(env)) args.push('--env', `${k}=${v}`);
  args.push(ctr, '--', ...(config.Entrypoint ?? []), ...(config.Cmd ?? []));
  const started = Date.now();
  const child = spawn('buildah', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const { output, exited } = collectOutput(child, logFile);
  const base = `http://127.0.0.1:${Number(env.PORT || 7007)}`;
  let done = false;
  exited.then(() => (done = true));
  return {
    ctr,
    child,
    base,
    started,
    exited,
    output,
    serverPid() {
      return descendants(child.pid).find(pid => {
        try {
          // Node 24 names its main thread (comm) "MainThread": match argv[0].
          const argv0 = fs
            .readFileSync(`/proc/${pid}/cmdline`, 'utf8')
            .split('\0')[0];
          return path.basename(argv0) === 'node';
        } catch {
          return false;
        }
      });
    },
    waitReady(timeoutMs = 180_000) {
      return waitReady({
        base,
        started,
        exited,
        output,
        what: 'the container',
        timeoutMs,
      });
    },
    /** Ends whatever still runs and removes the working container. */
    async remove() {
      if (!done) {
        for (const pid of descendants(child.pid)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        child.kill('SIGKILL');
        await exited;
      }
      try {
        buildah(['rm', ctr], { stdio: 'ignore' });
      } catch {
        /* removed already */
      }
    },
  };
}

/** What scripts/container/build.sh measured (.cache/container/build.json). */
function buildReport(root = path.resolve(__dirname, '../..')) {
  try {
    return JSON.parse(
      fs.readFileSync(path.join(root, '.cache/container/build.json'), 'utf8'),
    );
  } catch {
    return undefined;
  }
}

module.exports = {
  defaultImage,
  imageConfig,
  mountImage,
  runImage,
  descendants,
  buildReport,
};
