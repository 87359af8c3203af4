/**
 * Panel D: the autonomy verdict for the mode shown — the shared status read's evaluateGate
 * result, as `gate check` prints it — with every blocker and warning; j/k move between them.
 * With a bot picked in Panel B, the verdict is `gate check --mode M --bot ID`: the bot's own
 * blockers (BOT_DATA_STALE in open-market seconds included) join the mode's.
 */
import { autonomyView, type SystemStatusView } from '../../core/views.js';
import { GatePanel, gateItemCount } from '../GatePanel.js';
import { definePanel, type Panel } from './panel.js';

/** The bot's verdict, in the status view's shape GatePanel draws (null: no bot picked). */
type GateView = SystemStatusView | null;

const shown = (status: SystemStatusView | null, view: GateView | undefined) => view ?? status;

export const gate: Panel<'gate'> = definePanel<'gate', GateView>({
  id: 'gate',
  title: 'Gate',
  subject: 'the autonomy gate',
  keys: [{ on: ['up', 'down'], label: 'blocker' }],
  async load({ pool, request, status, config, registry }) {
    if (!request.botId || !config || !registry) return null;
    const v = await autonomyView(pool, registry, config, { mode: request.mode, botId: request.botId });
    if (!v.success) throw Object.assign(new Error(v.blockers[0]?.message ?? 'status store unreachable'), { code: 'STATUS_UNAVAILABLE' });
    return { ...status, trace_id: v.trace_id, bot_id: v.bot_id, autonomy: { global_status: v.global_status, blockers: v.blockers, warnings: v.warnings } };
  },
  carry: (view, prev, next) => (prev.botId === next.botId && prev.mode === next.mode ? view : null),
  listLength: ({ data, view }) => {
    const v = shown(data.status, view);
    return v ? gateItemCount(v) : 0;
  },
  render: ({ status, view, ui, width, height }) => <GatePanel view={shown(status, view)!} cursor={ui.cursor.gate} width={width} height={height} />,
});
