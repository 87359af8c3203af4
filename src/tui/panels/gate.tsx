/**
 * Panel D: the autonomy verdict for the mode shown, as `gate check` prints it, with every
 * blocker and warning; j/k move between them. With a bot chosen (Panel B, or 'b' from here)
 * the verdict is that bot's — `gate check --mode M --bot ID`, the same view function
 * (autonomyView): its BLOCKED attempts, its last run's blockers, a stale heartbeat — on top of
 * the global rules. Without one, the shared status read's verdict (no second read).
 */
import { autonomyView, type AutonomyView } from '../../core/views.js';
import type { SystemStatusView } from '../../core/views.js';
import { GatePanel, gateItemCount, statusVerdict, type GateVerdict } from '../GatePanel.js';
import { definePanel, type Panel } from './panel.js';

/** The verdict Panel D shows: the chosen bot's own (its read), else the shared status read's. */
export function verdictOf(status: SystemStatusView, bot: AutonomyView | null): GateVerdict {
  return bot ? { ...bot, trading_state: status.trading_state } : statusVerdict(status);
}

export const gate: Panel<'gate'> = definePanel<'gate', AutonomyView | null>({
  id: 'gate',
  title: 'Gate',
  subject: 'the autonomy gate',
  keys: [{ on: ['up', 'down'], label: 'blocker' }],
  // only a chosen bot needs a read of its own (its rules need its rows)
  load: async ({ pool, request, registry, config }) =>
    request.botId ? autonomyView(pool, registry, config, { mode: request.mode, botId: request.botId }) : null,
  // another bot's or another mode's verdict must never show under this one's label
  carry: (view, prev, next) => (next.mode !== prev.mode || next.botId !== prev.botId ? null : view),
  listLength: ({ data, view }) => (data.status ? gateItemCount(verdictOf(data.status, view)) : 0),
  render: ({ status, view, data, ui, width, height }) => (
    <GatePanel
      view={verdictOf(status, data.request.botId ? view : null)}
      pendingBot={data.request.botId && !view ? data.request.botId : null}
      cursor={ui.cursor.gate}
      width={width}
      height={height}
    />
  ),
});
