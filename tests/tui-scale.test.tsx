/**
 * The TUI at fleet size: 107 integrations and 1,000 bots still fit 80×24 (windowed lists,
 * filters, the top 10 from rollups, search over every bot). Behaviour only — speed is measured
 * by benchmarks, never by timed tests.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { beat, events, KEY, mount, poolStore, testConfig, writeState, type Mounted } from './tui-fixtures.js';
import { startRun } from '../src/core/db/runs.js';
import type { Config } from '../src/core/config.js';
import type { EventInput } from '../src/core/events-schema.js';

let db: TestDb;
let config: Config;
let m: Mounted | undefined;
const CUSTOM = Array.from({ length: 100 }, (_, i) => `custom_${String(i).padStart(3, '0')}`);
let busiest: string;

beforeAll(async () => {
  db = await freshDatabase();
  const base = testConfig(db.url);
  config = { ...base, integrations: Object.fromEntries(CUSTOM.map((n) => [n, { probe: { type: 'http', url: 'http://127.0.0.1:9/health' } }])) };
  for (const n of ['polygon', 'databento', 'postgres', 'risk_engine', 'openai', 'ironbeam', 'tradovate', ...CUSTOM])
    await writeState(
      db.pool,
      n,
      n === 'custom_042' ? { status: 'BLOCKED', outcome: 'UPSTREAM_5XX', reason: 'UPSTREAM_5XX', message: 'server error (5xx)' } : { status: 'OK' },
    );
  await beat(db.pool);
  // 1,000 bots with 1..5 calls each, bot-0999 the busiest; one run per bot names it
  const rows: EventInput[] = [];
  for (let i = 0; i < 1000; i++) {
    const id = randomUUID();
    if (i === 999) busiest = id;
    await startRun(db.pool, { botId: id, botName: `bot-${String(i).padStart(4, '0')}`, mode: 'paper' });
    for (let k = 0; k < (i === 999 ? 50 : 1 + (i % 5)); k++)
      rows.push({ bot_id: id, integration: 'polygon', operation: 'marketdata.bars', status: 'OK', records: 10, symbol: 'ESZ5', timeframe: '1m' });
  }
  for (let i = 0; i < rows.length; i += 1000) await events(db.pool, rows.slice(i, i + 1000));
}, 120_000);

afterEach(async () => {
  await m?.close();
  m = undefined;
});

const open = () => (m = mount({ openStore: poolStore(db.pool, db.url), config }));

describe('at fleet size', () => {
  it('Panel A windows 107 integrations into 80×24; PgDn pages; "/" finds one', async () => {
    const t = open();
    let f = await t.until((s) => s.includes('custom_000'), 'rows');
    const lines = f.split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(f).toMatch(/↓\d+ more · 1\/107 \(j\/k\)/);
    await t.press(KEY.pageDown);
    f = t.frame();
    expect(f).toMatch(/↑\d+ ↓\d+ more · 16\/107/);
    await t.press('/');
    for (const c of '042') await t.press(c);
    f = await t.until((s) => !s.includes('custom_000'), 'filtered');
    expect(f).toMatch(/custom_042\s+yes\s+BLOCKED/);
    expect(f).toMatch(/\[ BLOCKED \]|\[ DEGRADED \]|\[ OK \]/);
  });

  it('Panel B shows the 10 most active of 1,000 bots, and the selector finds any bot by name', async () => {
    const t = open();
    await t.until((s) => s.includes('custom_000'), 'rows');
    await t.press('2');
    let f = await t.until((s) => s.includes('Used in last 24h'), 'proof');
    expect(f).toMatch(/› bot-0999\s+50/);
    expect(f).toContain(busiest);
    const listed = f.match(/bot-\d{4}/g) ?? [];
    expect(new Set(listed).size).toBeLessThanOrEqual(11); // 10 in the list (+ the selected one's title)
    await t.press('b');
    for (const c of 'bot-0007') await t.press(c);
    // generous bounds: each keystroke re-reads 107 integrations and 1,000 bots, slow on a loaded CI machine
    await t.until((s) => /bot-0007\s+[0-9a-f-]{36}/.test(s), 'search', 30_000);
    await t.press(KEY.enter);
    f = await t.until(
      (s) =>
        /^bot-0007\s+[0-9a-f-]{36}/m.test(
          s
            .split('\n')
            .map((l) => l.slice(26))
            .join('\n'),
        ),
      'bot-0007 proof',
      30_000,
    );
    expect(f).toMatch(/polygon USED 3 calls \/ 30 bars/);
  });
});
