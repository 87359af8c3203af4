/**
 * pino logger writing JSON lines to stderr (stdout carries data only). Every line passes
 * through the sanitizer on its way out, so no call site can leak a secret by accident.
 */
import { Writable } from 'node:stream';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type * as Pino from 'pino';
import { redactString } from './redact.js';

export type { Logger };

export function redactingStream(target: NodeJS.WritableStream = process.stderr): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      target.write(redactString(chunk.toString()));
      cb();
    },
  });
}

// pino is loaded on first use: one-shot commands that never log (gate check) skip its start-up cost
const require = createRequire(import.meta.url);
const loadPino = (): typeof Pino.default => require('pino') as typeof Pino.default;

/** A logger created on first use — passing it around costs nothing until something is logged. */
export function lazyLogger(create: () => Logger): Logger {
  let real: Logger | undefined;
  return new Proxy({} as Logger, {
    get(_t, key) {
      real ??= create();
      const v = Reflect.get(real, key, real) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(real) : v;
    },
  });
}

export function createLogger(level: string, bindings: Record<string, unknown> = {}, target?: NodeJS.WritableStream): Logger {
  const pino = loadPino();
  return pino(
    {
      level,
      base: { pid: process.pid, ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // errors keep only what is safe: type, code and (redacted) message — never request config
      serializers: {
        err: (e: { name?: string; code?: string; message?: string; stack?: string }) => ({
          type: e?.name,
          code: e?.code,
          message: e?.message,
        }),
      },
    },
    redactingStream(target),
  );
}
