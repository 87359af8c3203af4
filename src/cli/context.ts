/** What every command needs: typed config, a stderr logger, and (lazily) the store. */
import { loadConfig, type Config } from '../core/config.js';
import { createLogger, lazyLogger, type Logger } from '../core/log.js';
import { assertSchemaCompatible, openStore, type PoolOptions, type Store } from '../core/store.js';
import { setZoneCacheHome } from '../core/calendar/index.js';

export interface GlobalOptions {
  config?: string;
  color?: boolean;
}

export interface CommandContext {
  config: Config;
  log: Logger;
  globals: GlobalOptions;
}

export function makeContext(globals: GlobalOptions, defaultLevel?: string): CommandContext {
  const config = loadConfig({ configPath: globals.config });
  // zone offsets from the home cache: a warm run never starts Intl (calendar/zone.ts)
  setZoneCacheHome(config.home);
  // CLI commands log warnings only unless LOG_LEVEL says otherwise; the daemon logs at info
  const level = process.env.LOG_LEVEL ? config.logLevel : (defaultLevel ?? config.logLevel);
  return { config, log: lazyLogger(() => createLogger(level)), globals };
}

/** Opens the store for a read command: never starts the embedded server, checks the schema. `pool`: e.g. a verdict's deadline (deadline.ts). */
export async function openReadStore(ctx: CommandContext, pool: PoolOptions = { max: 2 }): Promise<Store> {
  // the schema check is the first query: it reports an unreachable store as openStore's own check would
  const store = await openStore(ctx.config, ctx.log, { start: false, pool, checked: false });
  try {
    await assertSchemaCompatible(store.pool, store.url);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
