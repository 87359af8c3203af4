/** `observatory retention --keep 90d`: drop whole usage-event partitions older than that. */
import type { CommandContext } from './context.js';
import { openReadStore } from './context.js';
import { applyRetention } from '../core/upkeep.js';
import { parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { printJson, printLine } from './output.js';

export async function run(ctx: CommandContext, opts: { keep: string; dryRun?: boolean; json?: boolean }): Promise<number> {
  const keepMs = parseDuration(opts.keep, '--keep');
  if (keepMs < 86_400_000) throw new UsageError('--keep: at least 1d (whole monthly partitions are dropped)');
  const store = await openReadStore(ctx);
  try {
    const res = await applyRetention(store.pool, keepMs, { dryRun: opts.dryRun });
    if (opts.json) printJson(res);
    else
      printLine(
        res.dropped.length
          ? `${res.dry_run ? 'would drop' : 'dropped'} ${res.dropped.length} partition(s) ending before ${res.cutoff}: ${res.dropped.join(', ')}`
          : `nothing to drop: no partition ends before ${res.cutoff}`,
      );
    return 0;
  } finally {
    await store.close();
  }
}
