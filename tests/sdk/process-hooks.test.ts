/**
 * The process hooks (src/sdk/process-hooks.ts): a bot process that ends — the event loop
 * empties, process.exit(), a plain SIGTERM, its own SIGTERM handler — keeps every event,
 * stored or spooled for the next recorder.
 */
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { sdkHarness, quiet } from './harness.js';
import { ROOT } from '../helpers/cli.js';
import { createUsageRecorder } from '../../src/sdk/index.js';

const h = sdkHarness();

describe('process exit', () => {
  it('process exit drains: beforeExit flushes, process.exit() spools for the next recorder', async () => {
    const dir = h.tmp();
    const script = join(dir, 'bot.mts');
    const bot = randomUUID();
    writeFileSync(
      script,
      `import { createUsageRecorder } from ${JSON.stringify(join(ROOT, 'src/sdk/index.ts'))};
       const usage = createUsageRecorder({ databaseUrl: process.env.DB, batchSize: 1000, flushIntervalMs: 60000, botId: ${JSON.stringify(bot)} });
       const ids = [];
       for (let i = 0; i < 12; i++) ids.push(usage.record({ integration: 'polygon', operation: 'marketdata.bars', status: 'OK', records: 1 }).id);
       console.log(JSON.stringify(ids));
       if (process.env.HARD_EXIT) process.exit(0);`,
    );
    const tsx = join(ROOT, 'node_modules/.bin/tsx');
    // default spool location: $OBSERVATORY_HOME/spool/usage-<pid>-<n>.jsonl
    const env = { DB: h.db.url, OBSERVATORY_HOME: dir, LOG_LEVEL: 'silent' };
    const soft = await execa(tsx, [script], { env });
    const softIds = JSON.parse(soft.stdout) as string[];
    expect(await h.stored(softIds)).toEqual({ total: 12, distinct: 12 });

    const hard = await execa(tsx, [script], { env: { ...env, HARD_EXIT: '1' } });
    const hardIds = JSON.parse(hard.stdout) as string[];
    expect((await h.stored(hardIds)).total).toBe(0);
    const left = readdirSync(join(dir, 'spool')).filter((f) => statSync(join(dir, 'spool', f)).size > 0);
    expect(left).toEqual([expect.stringMatching(/^usage-\d+-1\.jsonl$/)]);
    expect(statSync(join(dir, 'spool')).mode & 0o777).toBe(0o700);
    expect(
      readFileSync(join(dir, 'spool', left[0]), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(12);
    // store unreachable at exit: the process still exits promptly, its events kept on disk
    const closedPort = await new Promise<number>((res) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => res(p));
      });
    });
    const downUrl = new URL(h.db.url);
    downUrl.hostname = '127.0.0.1';
    downUrl.port = String(closedPort);
    const down = await execa(tsx, [script], { env: { ...env, DB: downUrl.toString() }, timeout: 30_000 });
    const downIds = JSON.parse(down.stdout) as string[];
    const spooled = readdirSync(join(dir, 'spool'))
      .filter((f) => !f.startsWith(left[0])) // the hard run's spool (possibly claimed by the down run)
      .flatMap((f) =>
        readFileSync(join(dir, 'spool', f), 'utf8')
          .split('\n')
          .filter(Boolean),
      )
      .map((l) => JSON.parse(l).id);
    expect(spooled.sort()).toEqual([...downIds].sort());
    hardIds.push(...downIds);
    // the next recorder in the same spool directory adopts the dead processes' spools
    const next = createUsageRecorder({ pool: h.db.pool, spoolPath: join(dir, 'spool', `usage-${process.pid}-3.jsonl`), log: quiet, exitHooks: false });
    await next.flush();
    await next.close();
    expect(await h.stored(hardIds)).toEqual({ total: 24, distinct: 24 });
  });

  it('process.exit() in the middle of a many-batch flush, and a plain SIGTERM: every event is stored or spooled', async () => {
    const dir = h.tmp();
    // plain node on the built SDK, as a bot runs it (a loader like tsx installs its own signal handlers)
    const script = join(dir, 'bot.mjs');
    writeFileSync(
      script,
      `import { createUsageRecorder } from ${JSON.stringify(join(ROOT, 'dist/sdk/index.js'))};
       const usage = createUsageRecorder({ databaseUrl: process.env.DB, batchSize: 100, flushIntervalMs: 60000, maxPendingEvents: 100000 });
       const ids = [];
       for (let i = 0; i < 3000; i++) ids.push(usage.record({ integration: 'polygon', operation: 'marketdata.bars', status: 'OK', records: 1 }).id);
       if (process.env.MODE === 'two') {
         // a second recorder: one shared signal listener, and a plain SIGTERM still ends the process
         const other = createUsageRecorder({ databaseUrl: process.env.DB });
         ids.push(other.record({ integration: 'polygon', operation: 'marketdata.bars', status: 'OK', records: 1 }).id);
       }
       console.log(JSON.stringify(ids));
       if (process.env.MODE === 'own') {
         // the bot's own graceful shutdown keeps control (a once-listener, as most bots write it)
         process.once('SIGTERM', async () => { await usage.close(); console.log('closed'); process.exit(0); });
       }
       if (process.env.MODE === 'exit') {
         // exit while the flush holds batches taken off the queue and not yet stored
         void usage.flush();
         const t = setInterval(() => { if (usage.stats().pending === 0) process.exit(0); }, 1);
       } else {
         setInterval(() => {}, 1000);
         process.stdout.write('', () => process.kill(process.pid, 'SIGTERM'));
       }`,
    );
    for (const mode of ['exit', 'sigterm', 'two', 'own']) {
      const home = join(dir, mode);
      const run = await execa(process.execPath, [script], {
        env: { DB: h.db.url, OBSERVATORY_HOME: home, LOG_LEVEL: 'silent', MODE: mode },
        reject: false,
        timeout: 30_000,
      });
      const ids = JSON.parse(run.stdout.split('\n')[0]) as string[];
      expect(ids.length).toBe(mode === 'two' ? 3001 : 3000);
      const inDb = await h.stored(ids);
      const spoolDir = join(home, 'spool');
      const spooled = existsSync(spoolDir)
        ? readdirSync(spoolDir).flatMap((f) =>
            readFileSync(join(spoolDir, f), 'utf8')
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l).id as string),
          )
        : [];
      const all = new Set(spooled);
      const { rows } = await h.db.pool.query('select id::text from integration_usage_events where id = any($1::uuid[])', [ids]);
      for (const r of rows) all.add(r.id);
      expect(all.size, `${mode}: stored ${inDb.total}, spooled ${spooled.length}`).toBe(ids.length);
      expect(inDb.total).toBe(inDb.distinct);
      // and the process still ends the way a SIGTERM ends it — or the way the bot's own handler ends it
      if (mode === 'sigterm' || mode === 'two') expect(run.signal, mode).toBe('SIGTERM');
      if (mode === 'own') {
        expect(run.exitCode).toBe(0);
        expect(run.stdout).toMatch(/closed/);
        expect(inDb.total).toBe(3000); // its close() replayed what the signal spooled
      }
    }
  });
});
