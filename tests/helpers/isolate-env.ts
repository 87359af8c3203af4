/**
 * Runs first in every test worker (vitest.config.ts setupFiles): nothing is read from the
 * caller's shell. An operator who exported OBSERVATORY_* (port, home, config, token), a
 * DATABASE_URL or vendor keys to run `npm start` gets the same test run as anyone else; tests
 * that need a variable set it themselves. TEST_DATABASE_URL (the suite's own server) stays.
 */
export const ISOLATED_ENV = /^(OBSERVATORY_|DATABASE_URL$|LIVE_TRADING_ENABLED$|LOG_LEVEL$|(DATABENTO|POLYGON|OPENAI|TRADOVATE|IRONBEAM)_)/;

for (const k of Object.keys(process.env)) if (ISOLATED_ENV.test(k)) delete process.env[k];
