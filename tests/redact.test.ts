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
} from '../src/core/redact.js';
import { createLogger } from '../src/core/log.js';

const CANARY = 'CANARYq7Zk2v9XwP4m';

/** every form a leak could take */
function forms(secret: string): string[] {
  return [
    secret,
    Buffer.from(secret).toString('base64').replace(/=+$/, ''),
    Buffer.from(secret).toString('base64url'),
    encodeURIComponent(secret),
  ];
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
    const s = redactString(
      'Bearer abcdefghijklmnop sk-proj-ABCDEFGHIJKLMNOPQRSTUV https://u:p4ssw0rd@h/x ?apiKey=zzzzzz&token=yyyyyy "password": "hunter22"',
    );
    for (const leak of ['abcdefghijklmnop', 'ABCDEFGHIJKLMNOPQRSTUV', 'p4ssw0rd', 'zzzzzz', 'yyyyyy', 'hunter22']) expect(s).not.toContain(leak);
  });

  it('a DATABASE_URL password is never printed', () => {
    registerSecretsFromEnv({ DATABASE_URL: `postgres://obs:${CANARY}@127.0.0.1:5432/observatory` });
    expectClean(redactString(`could not connect using password ${CANARY}`));
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
});
