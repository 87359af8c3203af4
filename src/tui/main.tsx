/**
 * `observatory tui` behind the lazy import in cli/tui.ts: opens the store through the
 * same core code as the read commands (never starting the embedded server), then either
 * runs the live screen or — when stdout/stdin is not a terminal — prints one plain frame.
 */
import { stripVTControlCharacters } from 'node:util';
import { render, renderToString } from 'ink';
import type { CommandContext } from '../cli/context.js';
import type { Mode } from '../core/types.js';
import { registryFor } from '../cli/registry.js';
import { colorEnabled } from '../cli/output.js';
import { openStore } from '../core/store.js';
import { assertSchemaCompatible } from '../core/store.js';
import { createLogger } from '../core/log.js';
import { redactString } from '../core/redact.js';
import { TuiController, type StoreHandle } from './controller.js';
import { App } from './App.js';
import { PANEL_IDS } from './panels/index.js';
import { Frame } from './Frame.js';

export interface TuiOptions {
  mode: Mode;
  intervalMs?: number;
}

export const DEFAULT_INTERVAL_MS = 2_000;

/** Where we will read from, before the store is open: host:port/db or the embedded home — never credentials. */
export function targetOf(ctx: CommandContext): string {
  if (!ctx.config.databaseUrl) return `embedded (${ctx.config.home})`;
  try {
    const u = new URL(ctx.config.databaseUrl);
    return `external ${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'external (DATABASE_URL)';
  }
}

async function openTuiStore(ctx: CommandContext, quiet: boolean): Promise<StoreHandle> {
  // the live screen owns the terminal: store warnings would tear it, and errors are shown on it
  const log = quiet ? createLogger('silent') : ctx.log;
  // short timeouts: a hung server must turn into UNKNOWN on screen within seconds, not hang a read
  const store = await openStore(ctx.config, log, {
    start: false,
    pool: { max: 3, connectTimeoutMs: 2_000, statementTimeoutMs: 5_000, applicationName: 'observatory-tui' },
  });
  try {
    await assertSchemaCompatible(store.pool, store.url);
  } catch (err) {
    await store.close({ stopEmbedded: false });
    throw err;
  }
  return { pool: store.pool, url: store.url, describe: store.describe, close: () => store.close({ stopEmbedded: false }) };
}

export async function runTui(ctx: CommandContext, opts: TuiOptions): Promise<number> {
  const interactive = Boolean(process.stdout.isTTY && process.stdin.isTTY);
  const controller = new TuiController({
    openStore: () => openTuiStore(ctx, interactive),
    registry: registryFor(ctx.config),
    config: ctx.config,
    where: targetOf(ctx),
    intervalMs: opts.intervalMs ?? DEFAULT_INTERVAL_MS,
    initial: { mode: opts.mode, panel: PANEL_IDS[0], drawer: null, botId: null, botQuery: null },
    listen: interactive,
  });
  const staleAfterMs = ctx.config.daemon.staleAfterMs;

  if (!interactive) {
    const data = await controller.loadOnce();
    await controller.close();
    const frame = renderToString(<Frame data={data} width={process.stdout.columns || 100} staleAfterMs={staleAfterMs} now={Date.now()} />, {
      columns: process.stdout.columns || 100,
    });
    // plain means plain: no styling either, whatever FORCE_COLOR says (it is data for a pipe)
    process.stdout.write(redactString(stripVTControlCharacters(frame)) + '\n');
    process.stderr.write('observatory tui: stdout is not a terminal — printed one frame; in scripts use `observatory status` or `observatory gate check`\n');
    return 0;
  }

  // the alternate screen keeps the operator's scrollback clean and restores it on exit
  process.stdout.write('\x1b[?1049h\x1b[H');
  const instance = render(<App controller={controller} color={colorEnabled(ctx.globals)} staleAfterMs={staleAfterMs} />, {
    exitOnCtrlC: false,
    patchConsole: true,
  });
  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals > 1) process.exit(130);
    instance.unmount();
    // bounded shutdown: closing the store must not keep a quitting TUI alive
    setTimeout(() => process.exit(0), 3_000).unref();
  };
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of sigs) process.on(s, onSignal);
  controller.start();
  try {
    await instance.waitUntilExit();
  } finally {
    for (const s of sigs) process.off(s, onSignal);
    await controller.close();
    process.stdout.write('\x1b[?1049l');
  }
  return 0;
}
