/**
 * The SDK writer of bench/failover.ts: tracks events at a steady rate through the host-list
 * DATABASE_URL, printing `ack <event id>` once track() has resolved, until "stop" on stdin;
 * then closes the recorder (drain + replay of anything spooled during the failover).
 */
import { randomUUID } from 'node:crypto';
import { createUsageRecorder } from '../src/sdk/index.js';

const rate = Number(process.argv[2] || 50);
const botId = randomUUID();
const usage = createUsageRecorder({ databaseUrl: process.env.DATABASE_URL, botId });
process.stdout.write(`bot ${botId}\n`);
let running = true;
process.stdin.on('data', (d) => {
  if (d.toString().includes('stop')) running = false;
});
const pending = new Set<Promise<void>>();
while (running) {
  let id = '';
  const p = usage
    .track({ integration: 'databento', operation: 'marketdata.bars', symbol: 'ES', onEvent: (e) => (id = e.id) }, async () => 1)
    .then(
      () => void process.stdout.write(`ack ${id}\n`),
      (err: Error) => void process.stderr.write(`track failed: ${err.message}\n`),
    )
    .finally(() => pending.delete(p));
  pending.add(p);
  await new Promise((r) => setTimeout(r, 1000 / rate));
}
await Promise.all(pending);
await usage.close();
process.stdout.write('done\n');
