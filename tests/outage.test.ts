/** core/outage.ts: the one description of a store outage, the same for every face. */
import { describe, expect, it } from 'vitest';
import { describeOutage } from '../src/core/outage.js';
import { ObservatoryError, STORE_UNREACHABLE_FIX, StoreUnavailableError } from '../src/core/errors.js';
import { registerSecret } from '../src/core/redact.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('describeOutage', () => {
  it('a raw driver error is classified first: its cause and its own fix; with the URL, where (never credentials)', () => {
    const o = describeOutage(pgError('3D000', 'database "obs" does not exist'), 'postgres://svc:pw-not-shown@db.internal:6543/obs');
    expect(o).toEqual({
      storeUnavailable: true,
      code: 'STATUS_UNAVAILABLE',
      cause: 'the database at db.internal:6543/obs does not exist',
      message: 'status store unreachable: the database at db.internal:6543/obs does not exist',
      hint: 'create it, or fix the database name in DATABASE_URL',
      fix: 'create it, or fix the database name in DATABASE_URL',
    });
    expect(describeOutage(pgError('42P01', 'relation "bot_runs" does not exist')).fix).toBe('run `observatory migrate` (or `observatory up`)');
    expect(describeOutage(pgError('28P01', 'password authentication failed')).cause).toBe('the status store rejected the credentials');
  });

  it('unreachable: the generic fix; the cause keeps the driver code, one line', () => {
    const o = describeOutage(pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1\nat TCPConnectWrap'));
    expect(o.storeUnavailable).toBe(true);
    expect(o.cause).toBe('cannot reach the status store (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1 at TCPConnectWrap)');
    expect(o.fix).toBe(STORE_UNREACHABLE_FIX);
  });

  it('not a store outage (an unclassified error): says so, with its code and the generic fix', () => {
    const o = describeOutage(new Error('boom'));
    expect(o).toMatchObject({ storeUnavailable: false, code: 'DB_ERROR', cause: 'status store error: boom', hint: null, fix: STORE_UNREACHABLE_FIX });
    // typed errors pass through as themselves
    expect(describeOutage(new ObservatoryError('SCHEMA_TOO_NEW', 'schema newer', { hint: 'upgrade' }))).toMatchObject({
      storeUnavailable: false,
      code: 'SCHEMA_TOO_NEW',
      fix: 'upgrade',
    });
    expect(describeOutage(new StoreUnavailableError('gone')).storeUnavailable).toBe(true);
  });

  it('never carries a secret: cause and hint pass the sanitizer', () => {
    const secret = 'Outage-canary-7Hq2ZpL9';
    registerSecret(secret);
    const o = describeOutage(new StoreUnavailableError(`lost ${secret}`, { hint: `retry with ${secret}` }));
    expect(JSON.stringify(o)).not.toContain(secret);
  });
});
