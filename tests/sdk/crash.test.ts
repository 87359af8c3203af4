/**
 * kill -9 of a bot (issue 10, item 7): a child process tracks events from many concurrent
 * loops and prints each event id once track() has resolved (stdout to a pipe is synchronous on
 * Linux, so a printed id was acknowledged before the kill). It is killed with SIGKILL at a
 * random moment — with the store up, and with the store cut shortly before (events going to
 * the spool). The next recorder in the same spool directory replays what the dead one left;
 * then every acknowledged id is stored exactly once.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sdkHarness, quiet, Relay } from './harness.js';
import { ROOT } from '../helpers/cli.js';
import { createUsageRecorder } from '../../src/sdk/index.js';

const h = sdkHarness();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the bot until `killAfterAcks` ids are acknowledged plus a random delay (and the optional cut), then SIGKILLs it. */
async function crashRun(dir: string, dbUrl: string, opts: { killAfterMs: number; cut?: { relay: Relay; afterMs: number } }): Promise<string[]> {
  const script = join(dir, `bot-${randomUUID()}.mts`);
  writeFileSync(
    script,
    `import { createUsageRecorder } from ${JSON.stringify(join(ROOT, 'src/sdk/index.ts'))};
     const usage = createUsageRecorder({ databaseUrl: process.env.DB, botId: ${JSON.stringify(randomUUID())} });
     const loop = async () => {
       for (;;) {
         let id = '';
         await usage.track({ integration: 'polygon', operation: 'marketdata.bars', records: 1, onEvent: (e) => (id = e.id) }, async () => 1).catch(() => undefined);
         if (id) process.stdout.write(id + '\\n');
       }
     };
     console.log('ready');
     for (let i = 0; i < 50; i++) void loop();`,
  );
  // node itself with tsx as a loader: the tsx CLI would run the bot in a grandchild that a kill of its pid leaves running
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: dir, DB: dbUrl, OBSERVATORY_HOME: dir, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const exited = new Promise((r) => child.once('exit', r));
  const end = Date.now() + 60_000;
  while (!/^[0-9a-f-]{36}$/m.test(out)) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`the bot did not start tracking: ${out.slice(-500)}`);
    await sleep(20);
  }
  if (opts.cut) {
    await sleep(opts.cut.afterMs);
    await opts.cut.relay.stop();
  }
  await sleep(opts.killAfterMs);
  child.kill('SIGKILL');
  await exited;
  return out
    .split('\n')
    .filter((l) => /^[0-9a-f-]{36}$/.test(l))
    .filter((l, i, a) => a.indexOf(l) === i);
}

describe('kill -9', () => {
  it('loses no event track() acknowledged: after replay each is stored exactly once (store up, and store cut before the kill)', async () => {
    const dir = h.tmp();
    const acked: string[] = [];
    // store up: killed at random moments while batches are in flight
    for (let round = 0; round < 3; round++) acked.push(...(await crashRun(dir, h.db.url, { killAfterMs: 100 + Math.floor(Math.random() * 600) })));
    // store cut: acknowledged events are in the spool when the kill comes
    const u = new URL(h.db.url);
    const relay = new Relay({ host: u.hostname, port: Number(u.port || 5432) });
    await relay.start();
    acked.push(...(await crashRun(dir, relay.url(h.db.url), { cut: { relay, afterMs: 150 }, killAfterMs: 300 + Math.floor(Math.random() * 300) })));
    expect(acked.length).toBeGreaterThan(100);

    // the next recorder in the same spool directory replays what the dead bots left
    const next = createUsageRecorder({ pool: h.db.pool, spoolPath: join(dir, 'spool', `usage-${process.pid}-99.jsonl`), log: quiet, exitHooks: false });
    await next.flush();
    await next.close();
    expect(next.stats().replayedOrphans).toBeGreaterThan(0); // the cut round left a spool
    const { rows } = await h.db.pool.query<{ id: string; n: number }>(
      'select id::text, count(*)::int as n from integration_usage_events where id = any($1::uuid[]) group by id',
      [acked],
    );
    const stored = new Map(rows.map((r) => [r.id, r.n]));
    const missing = acked.filter((id) => !stored.has(id));
    expect(missing, `${missing.length} of ${acked.length} acknowledged events lost`).toEqual([]);
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);
  }, 180_000);
});
