/**
 * pino logger writing JSON lines to stderr (stdout carries data only). Every line passes
 * through the sanitizer on its way out, so no call site can leak a secret by accident.
 */
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
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

export function createLogger(level: string, bindings: Record<string, unknown> = {}, target?: NodeJS.WritableStream): Logger {
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
