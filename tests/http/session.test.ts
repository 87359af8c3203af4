/** GET /api/session (the view `observatory session --json` prints) and Panel B's market-time context over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { freshDatabase, type TestDb } from '../helpers/db.js';
import { startApi, type Api } from '../helpers/api.js';
import { startRun } from '../../src/core/ingest.js';
import { sessionApiView } from '../../src/core/views.js';

let db: TestDb;
let api: Api;
const bot = randomUUID();

beforeAll(async () => {
  db = await freshDatabase();
  api = await startApi(db);
  await startRun(db.pool, { botId: bot, botName: 'http-session-bot', mode: 'paper' });
});
afterAll(async () => {
  await api?.close();
});

describe('GET /api/session', () => {
  it('the session view at an instant, as the CLI prints it', async () => {
    const r = await api.get('/api/session?at=2025-12-25T10:00:00-06:00&group=equity_index');
    expect(r.status).toBe(200);
    const { trace_id: _t, ts: _ts, ...body } = r.body;
    const { trace_id: _t2, ts: _ts2, ...view } = sessionApiView(api.config, { at: Date.parse('2025-12-25T16:00:00Z') });
    expect(body).toEqual(view);
    expect(body).toMatchObject({ state: 'closed', reason: { kind: 'holiday', name: 'Christmas' } });
  });

  it('an unknown group or a malformed instant: 400 with one line', async () => {
    const g = await api.get('/api/session?group=energy');
    expect(g.status).toBe(400);
    expect(g.body.error.message).toContain('unknown product group');
    const a = await api.get('/api/session?at=noon');
    expect(a.status).toBe(400);
    expect(a.body.error.message).toContain('expected an ISO 8601 instant');
    expect((await api.get('/api/system/autonomy?mode=shadow&at=noon')).status).toBe(400);
  });
});

describe("Panel B's market time", () => {
  it("a running bot's proof carries its market-time context: market closed is said, not only zero bars", async () => {
    const r = await api.get(`/api/system/bots/${bot}/proof`);
    expect(r.status).toBe(200);
    const m = r.body.market_time;
    expect(m).toMatchObject({ group: 'equity_index', running: true, bound_s: 300, last_market_data_at: null });
    if (m.state !== 'open') expect(m.note).toContain('no bars are expected');
    else expect(m.note).toMatch(/market open|open equity_index market time/);
  });
});
