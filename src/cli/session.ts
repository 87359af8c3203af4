/** `observatory session`: where the market is now (or at --at), from the session calendar and the config's overrides. */
import type { CommandContext } from './context.js';
import { formatCountdown, parseAt, sessionApiView } from '../core/views.js';
import { colorEnabled, makeChalk, printJson, printLine } from './output.js';

export async function run(ctx: CommandContext, opts: { group?: string; at?: string; json?: boolean }): Promise<number> {
  // both checks before anything is printed: a bad flag is one line on stderr, exit 64
  const at = opts.at === undefined ? undefined : parseAt(opts.at);
  const view = sessionApiView(ctx.config, { group: opts.group, at });
  if (opts.json) return (printJson(view), 0);
  const s = view;
  const c = await makeChalk(colorEnabled(ctx.globals));
  const paint = s.state === 'open' ? c.green : s.state === 'break' ? c.yellow : c.red;
  printLine(`${paint(s.state.toUpperCase())} ${s.group} at ${s.at} — ${s.summary}`);
  if (s.session_open_local && s.session_close_local)
    printLine(
      `  ${s.state === 'open' ? 'session' : 'last session'}: ${s.session_open_local} → ${s.session_close_local}${s.trade_date ? ` (trade date ${s.trade_date})` : ''}`,
    );
  printLine(
    `  next open: ${s.next_open_local ?? '—'}${s.state !== 'open' && s.seconds_to_next_change !== null ? ` (in ${formatCountdown(s.seconds_to_next_change)})` : ''}`,
  );
  return 0;
}
