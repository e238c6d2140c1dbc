// Removes from a production node_modules what the running server provably
// never reads (called by scripts/production-tree.sh after the production
// install, so the container, e2e and bench all run the pruned tree):
//   - source maps (*.map): only read with --enable-source-maps, which the
//     server does not use;
//   - README / CHANGELOG / HISTORY files;
//   - TypeScript files (*.ts, *.mts, *.cts, declarations included), except in
//     the packages that the config schema compilation reads. Node does not
//     load TypeScript from node_modules; the one reader is
//     @backstage/config-loader, which compiles every `configSchema: *.d.ts`
//     with the TypeScript compiler at start-up. This script runs that same
//     compilation (same compiler options) over every such schema in the tree
//     and keeps every package that contributed a source file to it, so the
//     compiler resolves exactly the same files afterwards;
//   - prebuilt native binaries for other platforms (prebuilds/<os>-<arch>*).
// Prints what it removed as one JSON line on stderr.
//   node scripts/prune-node-modules.js <tree>    (<tree>/node_modules)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const tree = path.resolve(process.argv[2] || '.');
const nodeModules = path.join(fs.realpathSync(tree), 'node_modules');

/** Every package directory under node_modules (nested ones included). */
function packageDirs(dir, out = []) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!e.isDirectory() || e.name === '.bin') continue;
    const p = path.join(dir, e.name);
    if (e.name.startsWith('@')) {
      packageDirs(p, out);
      continue;
    }
    if (fs.existsSync(path.join(p, 'package.json'))) out.push(p);
    packageDirs(path.join(p, 'node_modules'), out);
  }
  return out;
}

/** The directory of the package that holds `file` (its nearest node_modules/<pkg>). */
function owningPackage(file) {
  const parts = path.relative(nodeModules, file).split(path.sep);
  let i = parts.lastIndexOf('node_modules');
  i = i < 0 ? 0 : i + 1;
  const len = parts[i].startsWith('@') ? 2 : 1;
  return path.join(nodeModules, ...parts.slice(0, i + len));
}

/** Packages whose TypeScript files the config schema compilation reads. */
function schemaPackages(dirs) {
  const roots = [];
  // Our own workspaces too (their schemas ship as config.schema.json in the
  // bundle, but a .d.ts one would be compiled against node_modules).
  const workspaceDirs = ['packages', 'plugins'].flatMap(d => {
    try {
      return fs.readdirSync(path.join(tree, d)).map(n => path.join(tree, d, n));
    } catch {
      return [];
    }
  });
  for (const dir of [...dirs, ...workspaceDirs]) {
    let pkg;
    try {
      pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    if (
      typeof pkg.configSchema === 'string' &&
      pkg.configSchema.endsWith('.d.ts')
    ) {
      const file = path.resolve(dir, pkg.configSchema);
      if (fs.existsSync(file)) roots.push(file);
    }
  }
  const keep = new Set();
  if (roots.length === 0) return keep;
  // The compiler options of @backstage/config-loader's compileTsSchemas.
  const ts = createRequire(
    path.join(nodeModules, '@backstage/config-loader/package.json'),
  )('typescript');
  const program = ts.createProgram(roots, {
    incremental: false,
    jsx: ts.JsxEmit.Preserve,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    noEmit: true,
    noResolve: false,
    skipDefaultLibCheck: true,
    skipLibCheck: false,
    strict: true,
    target: ts.ScriptTarget.ES2022,
    types: [],
  });
  for (const sf of program.getSourceFiles()) {
    const file = fs.realpathSync(sf.fileName);
    if (file.startsWith(nodeModules + path.sep)) keep.add(owningPackage(file));
  }
  return keep;
}

const platform = `${process.platform}-${process.arch}`;
const musl = !process.report?.getReport().header.glibcVersionRuntime;
function otherPlatformBinary(name) {
  const m =
    /^(darwin|win32|linux|linuxmusl|android|freebsd|openbsd|sunos|aix)-([a-z0-9]+)/.exec(
      name,
    );
  if (!m) return false;
  const os = m[1] === 'linuxmusl' ? 'linux' : m[1];
  if (`${os}-${m[2]}` !== platform) return true;
  return m[1] === 'linuxmusl' ? !musl : false;
}

const removed = { files: 0, bytes: 0 };
function remove(p, st) {
  removed.files += 1;
  removed.bytes += st.isDirectory() ? du(p) : st.size;
  fs.rmSync(p, { recursive: true, force: true });
}
function du(p) {
  const st = fs.lstatSync(p);
  if (!st.isDirectory()) return st.size;
  return fs.readdirSync(p).reduce((s, n) => s + du(path.join(p, n)), 0);
}

function prune(dir, keepTs, inPrebuilds) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isSymbolicLink()) continue; // workspace links, .bin
    if (e.isDirectory()) {
      if (e.name === 'node_modules') {
        walkPackages(p);
      } else if (inPrebuilds && otherPlatformBinary(e.name)) {
        remove(p, fs.lstatSync(p));
      } else {
        prune(p, keepTs, e.name === 'prebuilds');
      }
      continue;
    }
    const name = e.name;
    const lower = name.toLowerCase();
    if (
      name.endsWith('.map') ||
      /^(readme|changelog|history)(\.(md|markdown|txt))?$/.test(lower) ||
      (!keepTs && /\.[mc]?ts$/.test(name)) ||
      (inPrebuilds && otherPlatformBinary(name))
    ) {
      remove(p, fs.lstatSync(p));
    }
  }
}

let keep;
function walkPackages(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name === '.bin') continue;
    const p = path.join(dir, e.name);
    if (e.name.startsWith('@')) {
      walkPackages(p);
    } else {
      prune(p, keep.has(p), false);
    }
  }
}

if (!fs.existsSync(nodeModules)) {
  console.error(`prune-node-modules: ${nodeModules} does not exist`);
  process.exit(1);
}
keep = schemaPackages(packageDirs(nodeModules));
walkPackages(nodeModules);
console.error(
  `prune-node-modules: ${JSON.stringify({
    removedFiles: removed.files,
    removedMB: Math.round(removed.bytes / 1e5) / 10,
    schemaTypePackages: keep.size,
  })}`,
);
