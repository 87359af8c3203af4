#!/usr/bin/env node
// Runs `observatory tui` from dist/ with the CLI's options (-m/--mode, --interval, --no-color),
// used by tests/tui-tmux.test.ts only while src/cli.ts does not register `tui` yet; once it
// does, the test runs bin/observatory itself and this file can go.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const args = process.argv.slice(2);
const value = (...names) => {
  const i = args.findIndex((a) => names.includes(a));
  return i >= 0 ? args[i + 1] : undefined;
};
const { makeContext } = await import(pathToFileURL(join(dist, 'commands', 'context.js')).href);
const { run } = await import(pathToFileURL(join(dist, 'commands', 'tui.js')).href);
const ctx = makeContext({ color: args.includes('--no-color') ? false : undefined }, 'warn');
const interval = value('--interval');
process.exitCode = await run(ctx, { mode: value('-m', '--mode') ?? 'live', intervalMs: interval ? Number(interval) : undefined });
