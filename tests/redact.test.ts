import { afterEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import {
  _resetSecretsForTest,
  redactDeep,
  redactString,
  registerSecretsFromEnv,
  sanitizeError,
  sanitizeMetadata,
  MetadataRejected,
  REDACTED,
  isSecretShaped,
  registerSecret,
} from '../src/core/redact.js';
import { validateBatch } from '../src/core/events-schema.js';
import { createLogger } from '../src/core/log.js';

const CANARY = 'CANARYq7Zk2v9XwP4m';

/** every form a leak could take */
function forms(secret: string): string[] {
  return [secret, Buffer.from(secret).toString('base64').replace(/=+$/, ''), Buffer.from(secret).toString('base64url'), encodeURIComponent(secret)];
}

function expectClean(out: string, secret = CANARY) {
  for (const f of forms(secret)) expect(out, `leaked form ${f}`).not.toContain(f);
}

function capture(): { stream: Writable; text: () => string } {
  let buf = '';
  const stream = new Writable({
    write(chunk, _e, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => buf };
}

afterEach(() => _resetSecretsForTest());

describe('the sanitizer', () => {
  it('redacts a secret env value logged directly, in an error, in a URL query, as basic auth and as base64', async () => {
    registerSecretsFromEnv({ POLYGON_API_KEY: CANARY });
    const sink = capture();
    const log = createLogger('info', {}, sink.stream);
    log.info(`key is ${CANARY}`);
    log.info({ apiKey: CANARY, nested: { deep: [CANARY] } }, 'object');
    log.error({ err: new Error(`request failed with key ${CANARY}`) }, 'error');
    log.warn(`GET https://api.polygon.io/v2/aggs?apiKey=${CANARY}&x=1`);
    log.warn(`Authorization: Basic ${Buffer.from(`${CANARY}:`).toString('base64')}`);
    log.warn(`header x-blob: ${Buffer.from(`user:${CANARY}`).toString('base64')}`);
    log.warn(`prefixed base64 ${Buffer.from(`ab${CANARY}cd`).toString('base64')}`);
    log.warn(`url-encoded ${encodeURIComponent(CANARY)} and json ${JSON.stringify({ k: CANARY })}`);
    await new Promise((r) => setImmediate(r));
    const out = sink.text();
    expect(out.split('\n').filter(Boolean)).toHaveLength(8);
    expect(out).toContain(REDACTED);
    expectClean(out);
  });

  it('redacts basic-auth user/password pairs and URL passwords', () => {
    registerSecretsFromEnv({ IRONBEAM_USERNAME: 'trader-joe', IRONBEAM_PASSWORD: CANARY });
    const pair = Buffer.from(`trader-joe:${CANARY}`).toString('base64');
    expectClean(redactString(`Authorization: ${pair}`));
    expectClean(redactString(`postgres://obs:${CANARY}@db:5432/x`));
  });

  it('redacts token shapes it was never told about', () => {
    const s = redactString('Bearer abcdefghijklmnop sk-proj-ABCDEFGHIJKLMNOPQRSTUV https://u:p4ssw0rd@h/x ?apiKey=zzzzzz&token=yyyyyy "password": "hunter22"');
    for (const leak of ['abcdefghijklmnop', 'ABCDEFGHIJKLMNOPQRSTUV', 'p4ssw0rd', 'zzzzzz', 'yyyyyy', 'hunter22']) expect(s).not.toContain(leak);
  });

  it("keeps the documentation's own example readable, and still redacts every real password shape", () => {
    for (const doc of [
      'expected postgres://user:password@host:port/database',
      'postgres://user:<password>@host:5432/db',
      'postgres://obs:${PGPASSWORD}@db/x',
      'https://user:***@proxy:8080',
    ])
      expect(redactString(doc)).toBe(doc);
    for (const [real, pw] of [
      ['postgres://user:passw0rd@host:5432/db', 'passw0rd'],
      ['postgres://user:password1@host/db', 'password1'],
      ['https://u:p4ssw0rd@h/x', 'p4ssw0rd'],
      ['postgres://obs:xx@db/x', ':xx@'],
    ])
      expect(redactString(real)).not.toContain(pw);
  });

  it('a DATABASE_URL password is never printed, in the userinfo or as ?password=', () => {
    registerSecretsFromEnv({ DATABASE_URL: `postgres://obs:${CANARY}@127.0.0.1:5432/observatory` });
    expectClean(redactString(`could not connect using password ${CANARY}`));
    registerSecretsFromEnv({ DATABASE_URL: `postgres://obs@127.0.0.1:5432/observatory?password=Q${CANARY}` });
    expectClean(redactString(`auth failed for Q${CANARY}`), `Q${CANARY}`);
  });

  it('sanitizeError gives a code and one redacted line', () => {
    registerSecretsFromEnv({ OPENAI_API_KEY: CANARY });
    const e = Object.assign(new Error(`401 for key ${CANARY}\n  at stack line`), { code: 'ERR_BAD' });
    const s = sanitizeError(e);
    expect(s.code).toBe('ERR_BAD');
    expect(s.message).not.toContain('\n');
    expectClean(JSON.stringify(s));
  });

  it('metadata: deny-listed keys dropped, secrets redacted, bounds enforced with a clear error', () => {
    registerSecretsFromEnv({ OPENAI_API_KEY: CANARY });
    const clean = sanitizeMetadata({ model: 'gpt-4o', prompt: 'hi', api_key: 'x', note: `k=${CANARY}`, prompt_tokens: 12 });
    expect(clean).toEqual({ model: 'gpt-4o', note: `k=${REDACTED}`, prompt_tokens: 12 });
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 10; i++) deep = (deep.x = {}) as Record<string, unknown>;
    expect(() => sanitizeMetadata(root)).toThrow(MetadataRejected);
    expect(() => sanitizeMetadata({ big: 'x'.repeat(20_000) })).toThrow(/over the 8192-byte limit/);
    expect(() => sanitizeMetadata([1, 2])).toThrow(/JSON object/);
    expect(redactDeep({ authorization: 'x', ok: 1 })).toEqual({ ok: 1 });
  });

  it('metadata keys are data too: a key holding a secret is dropped with its value; credential-ish key names too', () => {
    registerSecretsFromEnv({ POLYGON_API_KEY: CANARY });
    const clean = sanitizeMetadata({ [CANARY]: 1, per_key: { [`k-${CANARY}`]: 'x', fine: 2 }, model: 'gpt-4o' });
    expectClean(JSON.stringify(clean));
    expect(clean).toEqual({ per_key: { fine: 2 }, model: 'gpt-4o' });
    const keys = ['x-api-key', 'X-API-KEY', 'passphrase', 'x-auth', 'auth_header', 'signature', 'bearer', 'session_id', 'ocp-apim-subscription-key'];
    expect(sanitizeMetadata(Object.fromEntries(keys.map((k) => [k, 'v'])))).toEqual({});
    expect(sanitizeMetadata({ headers: { 'X-API-KEY': 'v' } })).toEqual({ headers: {} });
    // allowed names stay: the brief's token counts, authors and session markers
    expect(sanitizeMetadata({ prompt_tokens: 1, author: 'a', session: undefined, session_open: true })).toEqual({
      prompt_tokens: 1,
      author: 'a',
      session_open: true,
    });
  });

  it('a "safe" identifier verdict is forgotten when a secret is registered later', () => {
    expect(isSecretShaped(CANARY)).toBe(false); // nothing registered yet: just a word
    registerSecret(CANARY);
    expect(isSecretShaped(CANARY)).toBe(true);
  });

  it('events refuse a reason_code, symbol or operation holding a registered secret', () => {
    registerSecretsFromEnv({ POLYGON_API_KEY: 'POLYKEY_ABCDEF0123456789' });
    const v = validateBatch([{ integration: 'polygon', operation: 'marketdata.bars', status: 'ERROR', reason_code: 'POLYKEY_ABCDEF0123456789' }]);
    expect(v.ok).toBe(false);
    expect(JSON.stringify(v)).not.toContain('POLYKEY_ABCDEF0123456789');
    expect(!v.ok && v.errors).toEqual([{ index: 0, field: 'reason_code', message: 'looks like a credential; refused' }]);
  });
});
