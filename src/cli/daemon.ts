import type { CommandContext } from './context.js';
import { migrate, openStore } from '../core/store.js';
import { Daemon, runUntilSignal } from '../daemon/daemon.js';
import { daemonServices } from '../daemon/services.js';

export interface DaemonOptions {
  /** start the embedded server when no DATABASE_URL (true for `up`) */
  startEmbedded?: boolean;
}

/** `observatory daemon` and `observatory up`: connect (or start embedded), migrate, run until signalled. */
export async function run(ctx: CommandContext, opts: DaemonOptions = {}): Promise<number> {
  const { log, config } = ctx;
  const store = await openStore(config, log, { start: opts.startEmbedded ?? false, pool: { max: 10 } });
  try {
    const res = await migrate(store.pool, { url: store.url });
    if (res.applied.length) log.info({ applied: res.applied }, 'migrations applied');
  } catch (err) {
    await store.close();
    throw err;
  }
  const daemon = new Daemon(config, log, store, await daemonServices(config));
  try {
    return await runUntilSignal(daemon, store, log);
  } catch (err) {
    await daemon.stop().catch(() => undefined);
    await store.close();
    throw err;
  }
}
