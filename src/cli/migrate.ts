import type { CommandContext } from './context.js';
import { migrate, openStore } from '../core/store.js';
import { printJson, printLine } from './output.js';

export interface MigrateOptions {
  json?: boolean;
}

export async function run(ctx: CommandContext, opts: MigrateOptions): Promise<number> {
  const store = await openStore(ctx.config, ctx.log, { start: true });
  try {
    const res = await migrate(store.pool, { url: store.url });
    if (opts.json) printJson({ ...res, store: store.describe });
    else
      printLine(
        res.applied.length
          ? `applied ${res.applied.length} migration(s): ${res.applied.join(', ')}; schema at ${res.version}`
          : `schema up to date at ${res.version}`,
      );
    return 0;
  } finally {
    await store.close();
  }
}
