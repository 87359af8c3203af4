/** Polling helpers shared by the end-to-end tests, and the daemon subprocess they run. */
import type { ResultPromise } from 'execa';
import { spawnCli } from './cli.js';

/** Polls `fn` until it returns something truthy (returned), or fails after `ms` naming `what`. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  ms: number,
  what: string,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last as T;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}; last: ${String(typeof last === 'string' ? last : JSON.stringify(last)).slice(0, 2000)}`);
}

export interface DaemonProc {
  proc: ResultPromise;
  /** everything the daemon wrote to stderr so far (its JSON log) */
  stderr: () => string;
  port: number;
  base: string;
}

/** Starts `observatory daemon` on a free port and waits for its HTTP API. */
export async function startDaemon(env: Record<string, string | undefined>): Promise<DaemonProc> {
  const proc = spawnCli(['daemon'], { OBSERVATORY_PORT: '0', LOG_LEVEL: 'info', ...env });
  let err = '';
  proc.stderr?.on('data', (d) => (err += d));
  proc.stdout?.on('data', (d) => (err += d));
  const port = await waitFor(
    () => {
      const m = /"port":(\d+),"msg":"HTTP API listening"/.exec(err);
      return m ? Number(m[1]) : undefined;
    },
    30_000,
    'daemon HTTP API',
  );
  return { proc, stderr: () => err, port, base: `http://127.0.0.1:${port}` };
}

export async function stopDaemon(d: DaemonProc | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!d || d.proc.exitCode !== null) return;
  d.proc.kill(signal);
  await d.proc.catch(() => undefined);
}
