/**
 * Panel A: integration health (the shared status read's rows); Enter opens the drawer with the
 * integration's last usage events and probes (integrationEventsView), j/k scroll it, Esc closes.
 */
import type { IntegrationRow } from '../../core/views.js';
import { integrationEventsView, sparklinesView, type EventView, type ProbeRow, type SparkCell } from '../../core/views.js';
import type { TuiData } from '../controller.js';
import { clamp, type UiState } from '../state.js';
import { IntegrationsPanel } from '../IntegrationsPanel.js';
import { IntegrationDrawer, drawerLineCount } from '../IntegrationDrawer.js';
import { definePanel, type KeyRun, type Panel } from './panel.js';
import { FILTER_KEY, matchesWords } from './filter.js';

export interface DrawerData {
  integration: string;
  events: EventView[];
  probes: ProbeRow[];
}

/** Buckets in the last-hour sparkline (5 minutes each). */
export const SPARK_BUCKETS = 12;

interface View {
  /** the open drawer's rows; null when none is open */
  drawer: DrawerData | null;
  /** per integration, the worst status per 5 minutes of the last hour (from the probe rows) */
  sparks: Record<string, SparkCell[]> | null;
}

/** The rows as shown: the status read's integrations, narrowed by the '/' filter. */
export function shownRows(data: TuiData, ui: UiState): IntegrationRow[] {
  const rows = data.status?.integrations ?? [];
  const filter = ui.filter.integrations;
  if (!filter.trim()) return rows;
  return rows.filter((r) =>
    matchesWords([r.name, r.kind, r.status, r.reason_code, r.reason_human, r.connected ? 'connected' : 'disconnected'].join(' '), filter),
  );
}

const scrollDrawer: KeyRun<View> = (s, a, env) => {
  const step = a.type === 'up' || a.type === 'down' ? 1 : Math.max(1, env.page);
  const d = (a.type === 'down' || a.type === 'pageDown' ? 1 : -1) * step;
  const lines = drawerLineCount(env.view?.drawer?.integration === s.drawer ? env.view.drawer : null);
  return { ...s, drawerScroll: clamp(s.drawerScroll + d, 0, Math.max(0, lines - 1)) };
};

export const integrations: Panel<'integrations'> = definePanel<'integrations', View>({
  id: 'integrations',
  title: 'Integrations',
  shortTitle: 'Integr',
  subject: 'integration health',
  keys: [
    {
      on: ['open'],
      label: 'events & probes',
      help: 'open drawer',
      run: (s, _a, env) => {
        const name = shownRows(env.data, s)[s.cursor.integrations]?.name;
        return name ? { ...s, drawer: name, drawerScroll: 0 } : s;
      },
    },
    FILTER_KEY,
    { on: ['up', 'down', 'pageUp', 'pageDown'], contexts: ['drawer'], run: scrollDrawer },
    { on: ['close'], contexts: ['drawer'], run: (s) => ({ ...s, drawer: null, drawerScroll: 0 }) },
  ],
  async load({ pool, request, status }) {
    const sparks = (
      await sparklinesView(
        pool,
        status.integrations.map((r) => r.name),
        { buckets: SPARK_BUCKETS },
      )
    ).lines;
    if (!request.drawer) return { drawer: null, sparks };
    const { events, probes } = await integrationEventsView(pool, request.drawer, { limit: 20 });
    return { drawer: { integration: request.drawer, events, probes }, sparks };
  },
  carry: (view, prev, next) => (next.drawer !== prev.drawer ? { drawer: null, sparks: view.sparks } : view),
  listLength: ({ data, ui }) => shownRows(data, ui).length,
  footer: (ui) =>
    ui.drawer
      ? [
          { on: ['down', 'up'], label: 'scroll', letters: true },
          { on: ['close'], label: 'close drawer' },
        ]
      : undefined,
  render: ({ data, status, view, ui, width, height, now }) => {
    if (ui.drawer) {
      const drawer = view?.drawer?.integration === ui.drawer ? view.drawer : null;
      return (
        <IntegrationDrawer
          name={ui.drawer}
          row={status.integrations.find((r) => r.name === ui.drawer)}
          drawer={drawer}
          scroll={ui.drawerScroll}
          width={width}
          height={height}
        />
      );
    }
    return (
      <IntegrationsPanel
        rows={shownRows(data, ui)}
        sparks={view?.sparks ?? undefined}
        cursor={ui.cursor.integrations}
        width={width}
        height={height}
        now={now}
      />
    );
  },
});
