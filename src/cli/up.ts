import type { CommandContext } from './context.js';
import { run as runDaemon } from './daemon.js';

/** `observatory up`: embedded Postgres (unless DATABASE_URL) + migrations + daemon, in the foreground. */
export async function run(ctx: CommandContext): Promise<number> {
  return runDaemon(ctx, { startEmbedded: true });
}
