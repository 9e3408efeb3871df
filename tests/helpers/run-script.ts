// Runs a job script the way a user does (`node --import tsx scripts/<job>.ts …`) and captures
// its exit code and output.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';
import { type Job, runJob } from '../../scripts/lib/jobs/runner.ts';

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The environment a script sees: no .env, no Actions, no database URLs but those given. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/_DATABASE_URL$|^GITHUB_|^RUNNER_|^INPUT_/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ENVSYNC_ENV_FILE: 'none', NO_COLOR: '1', ...extra };
}

export function runScript(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = cleanEnv(),
  timeoutMs = 120_000,
): Promise<ScriptRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'scripts', `${script}.ts`), ...args],
      {
        cwd: repoRoot,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A runner IO that keeps what a job prints, line by line. */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l) }, out, err };
}

/**
 * Runs a job in this process, through the same runner a script uses (flags, artifacts,
 * exit code, one-line errors): for tests about what a job does, not about the process
 * boundary, it saves the ~0.5 s a process start costs.
 */
export async function runInProcess<O, R>(
  job: Job<O, R>,
  args: string[],
  env: NodeJS.ProcessEnv = cleanEnv(),
): Promise<ScriptRun> {
  const started = Date.now();
  const { io, out, err } = capture();
  const code = await runJob(job, args, env, io);
  const text = (lines: string[]) => lines.map((l) => `${l}\n`).join('');
  return { code, stdout: text(out), stderr: text(err), ms: Date.now() - started };
}
