/**
 * Keeps the "most active bots" ranking fresh: the leading daemon recomputes it every 5 s
 * (node-cron), so listing bots never sums every bot-hour on the read path (core/upkeep.ts).
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { DaemonContext, DaemonService } from './daemon.js';
import { refreshBotRanking } from '../core/upkeep.js';
import { toStoreError } from '../core/store.js';

export class RankingService implements DaemonService {
  readonly name = 'ranking';
  private task?: ScheduledTask;
  private running?: Promise<unknown>;

  async start(ctx: DaemonContext): Promise<void> {
    this.task = cron.schedule('*/5 * * * * *', () => {
      if (!ctx.isLeader() || this.running) return;
      this.running = refreshBotRanking(ctx.store.pool)
        .catch((err) => ctx.log.warn({ err: toStoreError(err, ctx.store.url) }, 'bot ranking refresh failed'))
        .finally(() => (this.running = undefined));
    });
  }

  async stop(): Promise<void> {
    await this.task?.stop();
    await this.running;
  }
}
