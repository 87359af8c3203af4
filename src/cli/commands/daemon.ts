/** Registration of the store and daemon commands: up, daemon, migrate, retention (code loaded on use). */
import type { Command } from 'commander';
import type { RunCommand } from './run.js';

export function registerUp(program: Command, run: RunCommand): void {
  program
    .command('up')
    .description('run everything: embedded Postgres (unless DATABASE_URL) + migrations + daemon, in the foreground')
    .addHelpText('after', '\nStops cleanly on SIGINT/SIGTERM (a second signal forces). Logs are JSON on stderr.')
    .action(async () => {
      await run(async (ctx) => (await import('../up.js')).run(ctx), { longRunning: true });
    });
}

export function registerDaemon(program: Command, run: RunCommand): void {
  program
    .command('daemon')
    .description('run the daemon alone against DATABASE_URL or an already running embedded store')
    .action(async () => {
      await run(async (ctx) => (await import('../daemon.js')).run(ctx), { longRunning: true });
    });
}

export function registerMigrate(program: Command, run: RunCommand): void {
  program
    .command('migrate')
    .description('apply database migrations (starts the embedded store for the duration if needed)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      await run(async (ctx) => (await import('../migrate.js')).run(ctx, opts));
    });
}

export function registerRetention(program: Command, run: RunCommand): void {
  program
    .command('retention')
    .description('drop whole usage-event partitions older than --keep (rollups keep their history)')
    .requiredOption('-k, --keep <duration>', 'how much history to keep, e.g. 90d')
    .option('--dry-run', 'say what would be dropped')
    .option('--json', 'JSON output')
    .action(async (opts: { keep: string; dryRun?: boolean; json?: boolean }) => {
      await run(async (ctx) => (await import('../retention.js')).run(ctx, opts));
    });
}
