/*
 * Runs the delivery pipeline's scripts (scripts/deploy/) and Cloud Build
 * configurations here, with gcloud, docker, curl and sleep replaced by
 * scripts/lib/cli-fake.sh: each call is recorded, answers come from rules.
 * Used by packages/backend/src/deploy/*.test.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

import { repoRoot } from './repoRoot';

export { repoRoot };
const fake = path.join(repoRoot, 'scripts/lib/cli-fake.sh');
const TOOLS = ['gcloud', 'docker', 'curl', 'sleep'];

/** A rule of the fake: the first that matches a call answers it. */
export interface FakeRule {
  /** bash glob over the call line, `<tool> <arguments...>` */
  match: string;
  /** printed (with \n escapes; a trailing newline added) */
  output?: string;
  exit?: number;
  /** answers this many calls, then is spent (default: any number) */
  times?: number;
}

export interface StepResult {
  id: string;
  code: number;
  stderr: string;
}

export class FakeCloud {
  readonly dir: string;
  private readonly callsFile: string;
  private readonly rulesFile: string;
  private readonly bin: string;

  constructor(rules: FakeRule[]) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-pipeline-'));
    this.bin = path.join(this.dir, 'bin');
    fs.mkdirSync(this.bin);
    for (const tool of TOOLS) {
      fs.writeFileSync(
        path.join(this.bin, tool),
        `#!/usr/bin/env bash\nFAKE_TOOL=${tool} exec bash '${fake}' "$@"\n`,
        { mode: 0o755 },
      );
    }
    this.callsFile = path.join(this.dir, 'calls.log');
    fs.writeFileSync(this.callsFile, '');
    // This machine may have the real tools: make sure the fakes come first.
    const found = spawnSync('bash', ['-c', `command -v ${TOOLS.join(' ')}`], {
      env: this.env(),
      encoding: 'utf8',
    }).stdout.trim();
    if (found !== TOOLS.map(t => path.join(this.bin, t)).join('\n')) {
      throw new Error(`the fakes are not first on PATH: ${found}`);
    }
    this.rulesFile = path.join(this.dir, 'rules');
    fs.writeFileSync(
      this.rulesFile,
      rules
        .map(r => {
          if (r.match.includes('|') || (r.output ?? '').includes('|')) {
            throw new Error(`a rule may not contain '|': ${r.match}`);
          }
          return `${r.times ?? ''}|${r.exit ?? 0}|${r.match}|${r.output ?? ''}`;
        })
        .join('\n')
        .concat('\n'),
    );
  }

  /** The environment every step gets besides its own. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: `${this.bin}:${process.env.PATH}`,
      HOME: this.dir,
      FAKE_CALLS: this.callsFile,
      FAKE_RULES: this.rulesFile,
      DEPLOY_WORK_DIR: path.join(this.dir, 'work'),
      TEST_COMMAND: 'echo "1234 passed, 0 failed"',
      SMOKE_ATTEMPTS: '3',
      ...extra,
    };
  }

  /** Every recorded call, timestamps and the work directory made stable. */
  calls(): string[] {
    return fs
      .readFileSync(this.callsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(line =>
        line
          .replaceAll(path.join(this.dir, 'work'), '$WORK')
          .replace(/timestamp>="[^"]+"/, 'timestamp>="$SINCE"'),
      );
  }

  /** A rendered manifest the scripts wrote. */
  rendered(name: string): any {
    return parseYaml(
      fs.readFileSync(path.join(this.dir, 'work', name), 'utf8'),
    );
  }

  /** Runs `bash <args>` from the repository root. */
  run(args: string[], env: Record<string, string> = {}): StepResult {
    const result = spawnSync('bash', args, {
      cwd: repoRoot,
      env: this.env(env),
      encoding: 'utf8',
      timeout: 60_000,
    });
    return {
      id: args.join(' '),
      code: result.status ?? -1,
      stderr: result.stderr,
    };
  }

  /**
   * Runs a Cloud Build configuration's steps in order, as Cloud Build would
   * with these built-in substitutions (and the trigger's overrides), and
   * stops at the first that fails. Secrets of `availableSecrets` come from
   * `secrets` (by env name).
   */
  runBuild(
    configFile: string,
    builtIn: Record<string, string>,
    {
      overrides = {},
      secrets = {},
      env = {},
    }: {
      overrides?: Record<string, string>;
      secrets?: Record<string, string>;
      /** more environment for every step (as FakeCloud.env) */
      env?: Record<string, string>;
    } = {},
  ): StepResult[] {
    const config = parseYaml(
      fs.readFileSync(path.join(repoRoot, configFile), 'utf8'),
    );
    const values: Record<string, string> = {
      ...config.substitutions,
      ...overrides,
      ...builtIn,
    };
    const substitute = (text: string) =>
      text.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (_, name: string) => {
        if (!(name in values)) {
          throw new Error(`${configFile}: unknown substitution $${name}`);
        }
        return values[name];
      });
    const buildEnv = Object.fromEntries(
      (config.options?.env ?? []).map((entry: string) => {
        const [name, ...rest] = substitute(entry).split('=');
        return [name, rest.join('=')];
      }),
    );
    const available = new Map<string, string>(
      (config.availableSecrets?.secretManager ?? []).map((s: any) => [
        s.env,
        substitute(s.versionName),
      ]),
    );
    const results: StepResult[] = [];
    for (const step of config.steps) {
      const stepSecrets: Record<string, string> = {};
      for (const name of step.secretEnv ?? []) {
        if (!available.has(name) || !(name in secrets)) {
          throw new Error(`${step.id}: no secret ${name}`);
        }
        stepSecrets[name] = secrets[name];
      }
      const result = this.run((step.args as string[]).map(substitute), {
        ...env,
        ...buildEnv,
        ...stepSecrets,
      });
      results.push({ ...result, id: step.id });
      if (result.code !== 0) break;
    }
    return results;
  }

  /** The Secret Manager versions a configuration reads, by env name. */
  static secretsOf(configFile: string): Record<string, string> {
    const config = parseYaml(
      fs.readFileSync(path.join(repoRoot, configFile), 'utf8'),
    );
    return Object.fromEntries(
      (config.availableSecrets?.secretManager ?? []).map((s: any) => [
        s.env,
        s.versionName,
      ]),
    );
  }

  close() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
