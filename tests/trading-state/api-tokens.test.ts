/**
 * Named API tokens (OBSERVATORY_TOKEN_<NAME>): each is its own bearer token with its own actor
 * (`api-token:<name>`), so the two-person resume works over the HTTP API — a resume requested
 * with one token is confirmed with another, never with the same one. Validated at config load
 * (exit 78, the variable named, never its value).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, type TestDb } from '../helpers/db.js';
import { startApi, type Api } from '../helpers/api.js';
import { cli } from '../helpers/cli.js';
import { apiTokens, loadConfig } from '../../src/core/config.js';
import { ConfigError } from '../../src/core/errors.js';
import { isSecretEnvName, redactString } from '../../src/core/redact.js';

const TOKEN_A = 'alice-0123456789abcdef-token';
const TOKEN_B = 'bob-fedcba9876543210-token';
let db: TestDb;
let api: Api;
let home: string;

const rows = async (target: string) =>
  (
    await db.pool.query<{ id: string; kind: string; state: string; actor: string; confirms: string | null }>(
      `select id::text as id, kind, state, actor, confirms::text as confirms from trading_state_changes
        where scope = 'integration' and target = $1 order by id`,
      [target],
    )
  ).rows;

beforeAll(async () => {
  db = await freshDatabase();
  home = mkdtempSync(join(tmpdir(), 'obs-tokens-'));
  api = await startApi(db, { env: { OBSERVATORY_TOKEN_ALICE: TOKEN_A, OBSERVATORY_TOKEN_BOB: TOKEN_B, OBSERVATORY_TWO_PERSON_RESUME: 'true' } });
});
afterAll(async () => {
  await api?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('named API tokens over HTTP', () => {
  it('each token is its own actor; OBSERVATORY_TOKEN keeps api-token:OBSERVATORY_TOKEN; an unknown token is 401 and writes nothing', async () => {
    const a = await api.post('/api/trading-state', { command: 'halt', scope: 'integration', target: 'tradovate', reason: 'alice halts' }, { token: TOKEN_A });
    expect(a.status).toBe(201);
    expect(a.body.change).toMatchObject({ actor: 'api-token:alice', state: 'HALTED' });
    const main = await api.post('/api/trading-state', { command: 'halt', scope: 'integration', target: 'ironbeam', reason: 'main halts' });
    expect(main.status).toBe(201);
    expect(main.body.change.actor).toBe('api-token:OBSERVATORY_TOKEN');
    const before = (await rows('databento')).length;
    const wrong = await api.post(
      '/api/trading-state',
      { command: 'halt', scope: 'integration', target: 'databento', reason: 'x' },
      { token: `${TOKEN_A.slice(0, -1)}X` },
    );
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.body)).not.toContain(TOKEN_A.slice(0, 12));
    expect((await rows('databento')).length).toBe(before);
    // every route that needs a token takes any of them (ingest too)
    expect((await api.post('/api/usage-events', [], { token: TOKEN_B })).status).not.toBe(401);
  });

  it('two-person resume: requested with token A, confirmed with token B — two rows, the confirm references the request', async () => {
    expect(
      (await api.post('/api/trading-state', { command: 'halt', scope: 'integration', target: 'polygon', reason: 'data incident' }, { token: TOKEN_A })).status,
    ).toBe(201);
    const req = await api.post('/api/trading-state', { command: 'resume', scope: 'integration', target: 'polygon', reason: 'fixed' }, { token: TOKEN_A });
    expect(req.status).toBe(202);
    expect(req.body).toMatchObject({ pending: true, change: { kind: 'request', actor: 'api-token:alice' } });
    const confirm = await api.post('/api/trading-state', { command: 'resume', scope: 'integration', target: 'polygon', reason: 'checked' }, { token: TOKEN_B });
    expect(confirm.status).toBe(201);
    expect(confirm.body.change).toMatchObject({ kind: 'confirm', actor: 'api-token:bob', state: 'ACTIVE' });
    const audit = await rows('polygon');
    expect(audit.map((r) => [r.kind, r.state, r.actor])).toEqual([
      ['change', 'HALTED', 'api-token:alice'],
      ['request', 'ACTIVE', 'api-token:alice'],
      ['confirm', 'ACTIVE', 'api-token:bob'],
    ]);
    expect(audit[2].confirms).toBe(audit[1].id);
    const view = (await api.get('/api/trading-state')).body;
    expect(view.in_force.some((s: { target: string }) => s.target === 'polygon')).toBe(false);
    expect(view.pending).toEqual([]);
  });

  it('the same token confirming its own request is refused (400, the same-actor rule) and writes no row', async () => {
    expect(
      (await api.post('/api/trading-state', { command: 'halt', scope: 'integration', target: 'openai', reason: 'llm incident' }, { token: TOKEN_B })).status,
    ).toBe(201);
    expect(
      (await api.post('/api/trading-state', { command: 'resume', scope: 'integration', target: 'openai', reason: 'fixed' }, { token: TOKEN_A })).status,
    ).toBe(202);
    const before = await rows('openai');
    const same = await api.post('/api/trading-state', { command: 'resume', scope: 'integration', target: 'openai', reason: 'me again' }, { token: TOKEN_A });
    expect(same.status).toBe(400);
    expect(same.body.error.message).toMatch(/requested by api-token:alice: a second, different actor must confirm it/);
    expect(await rows('openai')).toEqual(before);
    expect((await api.get('/api/trading-state')).body.in_force).toEqual(
      expect.arrayContaining([expect.objectContaining({ target: 'openai', state: 'HALTED' })]),
    );
  });
});

describe('named API tokens at config load', () => {
  const load = (env: Record<string, string>) => loadConfig({ env: { OBSERVATORY_HOME: home, ...env } });
  const refusal = (env: Record<string, string>): ConfigError => {
    try {
      load(env);
    } catch (err) {
      if (err instanceof ConfigError) return err;
      throw err;
    }
    throw new Error('expected a ConfigError');
  };

  it('every OBSERVATORY_TOKEN_<NAME> is a token with actor api-token:<name>; an empty one is unset', () => {
    const c = load({ OBSERVATORY_TOKEN: 'main-token-0123456789', OBSERVATORY_TOKEN_ON_CALL_2: TOKEN_A, OBSERVATORY_TOKEN_EMPTY: '' });
    expect(apiTokens(c.http).map((t) => [t.env, t.actor])).toEqual([
      ['OBSERVATORY_TOKEN', 'api-token:OBSERVATORY_TOKEN'],
      ['OBSERVATORY_TOKEN_ON_CALL_2', 'api-token:on_call_2'],
    ]);
    // a named token alone protects a non-loopback bind
    expect(load({ OBSERVATORY_BIND: '0.0.0.0', OBSERVATORY_TOKEN_ALICE: TOKEN_A }).http.bind).toBe('0.0.0.0');
  });

  it.each([
    ['too short', { OBSERVATORY_TOKEN_ALICE: 'short-secret-15' }, /^environment: OBSERVATORY_TOKEN_ALICE: expected at least 16 characters$/],
    [
      'a name beyond A–Z 0–9 _',
      { OBSERVATORY_TOKEN_alice: TOKEN_A },
      /^environment: OBSERVATORY_TOKEN_alice: a named API token is OBSERVATORY_TOKEN_<NAME>, NAME 1–32 of A–Z, 0–9, _$/,
    ],
    ['a name over 32 characters', { [`OBSERVATORY_TOKEN_${'X'.repeat(33)}`]: TOKEN_A }, /a named API token is OBSERVATORY_TOKEN_<NAME>/],
    [
      'the same value as OBSERVATORY_TOKEN',
      { OBSERVATORY_TOKEN: TOKEN_A, OBSERVATORY_TOKEN_ALICE: TOKEN_A },
      /^environment: OBSERVATORY_TOKEN_ALICE: the same value as OBSERVATORY_TOKEN;/,
    ],
    [
      'two named tokens alike',
      { OBSERVATORY_TOKEN_ALICE: TOKEN_A, OBSERVATORY_TOKEN_BOB: TOKEN_A },
      /^environment: OBSERVATORY_TOKEN_BOB: the same value as OBSERVATORY_TOKEN_ALICE;/,
    ],
  ])('%s: a config error (exit 78) naming the variable, never the value', (_n, env, msg) => {
    const e = refusal(env);
    expect(e.exitCode).toBe(78);
    expect(e.message).toMatch(msg);
    for (const v of Object.values(env)) expect(`${e.message} ${e.hint ?? ''}`).not.toContain(v);
  });

  it('the CLI refuses a too-short named token: exit 78, one line on stderr, the value nowhere', async () => {
    const value = 'tiny-secret-val';
    const r = await cli(['status'], { OBSERVATORY_HOME: home, DATABASE_URL: 'postgres://u@127.0.0.1:1/x', OBSERVATORY_TOKEN_ALICE: value });
    expect(r.exitCode).toBe(78);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/OBSERVATORY_TOKEN_ALICE: expected at least 16 characters/);
    expect(r.stderr).not.toContain(value);
  });

  it('their values are secrets to the sanitizer', () => {
    load({ OBSERVATORY_TOKEN_CAROL: 'carol-9f8e7d6c5b4a-token' });
    expect(isSecretEnvName('OBSERVATORY_TOKEN_CAROL')).toBe(true);
    expect(redactString('sent carol-9f8e7d6c5b4a-token to the log')).not.toContain('carol-9f8e7d6c5b4a-token');
  });
});
