/**
 * zod, loaded on first use. Importing zod costs ~60 ms of start-up; `gate check` (run by deploy
 * scripts and cron) must stay close to node + connect + query, so modules on that path build
 * their schemas only when there is something to validate (a config file, config overrides).
 */
import { createRequire } from 'node:module';
import type * as Z from 'zod';

const require = createRequire(import.meta.url);
let z: typeof Z | undefined;

export function zod(): typeof Z {
  z ??= require('zod') as typeof Z;
  return z;
}

/** Memoizes a schema factory: the schema is built once, on first call. */
export function lazySchema<T>(build: (z: typeof Z) => T): () => T {
  let built: T | undefined;
  return () => (built ??= build(zod()));
}
