/** Runs the real bin as a subprocess (execa) — stdout, stderr and exit code asserted separately. */
import { execa, type Options, type ResultPromise } from 'execa';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'observatory');

/**
 * A clean env: nothing from the developer's shell leaks into tests. The HTTP API binds a free
 * port (OBSERVATORY_PORT=0) unless a test asks for one, so a running `npm start` (or anything
 * else on the default port) never makes a test wait or fail.
 */
export function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C',
    NO_COLOR: '1',
    OBSERVATORY_PORT: '0',
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function cli(
  args: string[],
  env: Record<string, string | undefined> = {},
  opts: { input?: string; timeout?: number; cwd?: string; uid?: number; gid?: number } = {},
): Promise<CliResult> {
  const r = await execa(BIN, args, {
    env: baseEnv(env),
    extendEnv: false,
    reject: false,
    timeout: opts.timeout ?? 60_000,
    input: opts.input,
    cwd: opts.cwd,
    uid: opts.uid,
    gid: opts.gid,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export function spawnCli(args: string[], env: Record<string, string | undefined> = {}, opts: Options = {}): ResultPromise {
  return execa(BIN, args, { env: baseEnv(env), extendEnv: false, reject: false, ...opts });
}
