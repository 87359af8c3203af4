/**
 * The on-call screen: header, banners, tabs, the active panel, a hint line. Keys go through
 * the one registry (keymap.resolveKey) into the pure reducer (ui.reduce); what the screen
 * shows is requested from the controller, which reads through the core views.
 */
import { Box, useApp, useInput } from 'ink';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { TuiController, BotChoice } from './controller.js';
import type { IntegrationRow } from '../core/views.js';
import { ColorContext } from './theme.js';
import { useNow, useTerminalSize, useTuiData } from './hooks.js';
import { resolveKey, splitKeys } from './keymap.js';
import { initialUi, keyContext, reduce, type UiEnv, type UiState } from './ui.js';
import { displayStale } from './verdict.js';
import { Header } from './Header.js';
import { StaleBanner } from './StaleBanner.js';
import { OutageBanner } from './OutageBanner.js';
import { TabBar } from './TabBar.js';
import { Body } from './Body.js';
import { Footer } from './Footer.js';
import { catalogRows as buildCatalogRows } from './CatalogPanel.js';
import { drawerLineCount } from './IntegrationDrawer.js';
import { gateItemCount } from './GatePanel.js';

export interface AppProps {
  controller: TuiController;
  color: boolean;
  /** the daemon staleness bound, for the STALE banner's "limit" */
  staleAfterMs: number;
  /** fixed size (tests); default: the terminal's */
  columns?: number;
  rows?: number;
  initial?: Partial<UiState>;
}

const HEADER_LINES = 3;

function filterIntegrations(rows: IntegrationRow[], filter: string): IntegrationRow[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return rows;
  return rows.filter((r) => {
    const hay = [r.name, r.kind, r.status, r.reason_code, r.reason_human, r.connected ? 'connected' : 'disconnected'].join(' ').toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

function Screen({ controller, staleAfterMs, columns, rows, initial }: Omit<AppProps, 'color'>) {
  const { exit } = useApp();
  const data = useTuiData(controller);
  const now = useNow(1000);
  const size = useTerminalSize({ columns, rows });
  const [ui, setUi] = useState<UiState>(() => ({ ...initialUi(controller.getData().request.mode, controller.getData().request.panel), ...initial }));

  useEffect(() => {
    controller.setView({ mode: ui.mode, panel: ui.panel, drawer: ui.drawer, botId: ui.botId, botQuery: ui.botSearch ? ui.botSearch.query : null });
  }, [controller, ui.mode, ui.panel, ui.drawer, ui.botId, ui.botSearch?.query]);

  const fresh = Boolean(data.status) && !data.outage && !displayStale(data, now);
  const width = Math.max(40, size.columns);
  const stale = fresh && data.status?.daemon && !data.status.daemon.fresh ? 1 : 0;
  const outage = data.outage || displayStale(data, now) ? 1 : 0;
  // one line spare: a frame as tall as the terminal makes Ink clear the screen on every update
  const bodyHeight = Math.max(3, size.rows - 1 - HEADER_LINES - stale - outage - 1 - 1);

  const integrations = useMemo(() => filterIntegrations(data.status?.integrations ?? [], ui.filter.integrations), [data.status, ui.filter.integrations]);
  const catalogRows = useMemo(() => (data.catalog ? buildCatalogRows(data.catalog, ui.filter.catalog, now, width >= 130) : null), [data.catalog, ui.filter.catalog, now, width]);
  const topBots: BotChoice[] = data.proof?.top ?? [];
  const botChoices = ui.botSearch ? (ui.botSearch.query.trim() ? data.botChoices : topBots) : null;

  const env: UiEnv = {
    listLength: ui.panel === 'integrations' ? integrations.length : ui.panel === 'catalog' ? (catalogRows?.length ?? 0) : ui.panel === 'gate' && data.status ? gateItemCount(data.status) : topBots.length,
    integrationNames: integrations.map((r) => r.name),
    topBots: topBots.map((b) => ({ bot_id: b.bot_id, name: b.name })),
    botChoices: botChoices ?? [],
    drawerLines: drawerLineCount(data.drawer),
    page: Math.max(1, bodyHeight - 2),
  };
  // Panel B's cursor follows the bot the controller shows (the most active one by default)
  const shownUi: UiState = data.proof && !ui.botId ? { ...ui, botId: data.proof.botId } : ui;

  // Ink may deliver the next key before React re-subscribes this handler, so the handler
  // reads the latest state from a ref (and advances it itself) instead of its closure
  const latest = useRef({ ui: shownUi, env });
  latest.current = { ui: shownUi, env };
  useInput((input, key) => {
    for (const [i, k] of splitKeys(input, key)) {
      const { ui: current, env: now } = latest.current;
      const action = resolveKey(i, k, keyContext(current));
      if (!action) continue;
      if (action.type === 'quit') return exit();
      if (action.type === 'refresh') {
        controller.refresh();
        continue;
      }
      const next = reduce(current, action, now);
      latest.current = { ui: next, env: now };
      setUi(next);
    }
  });

  return (
    <Box flexDirection="column" width={width}>
      <Header data={data} now={now} width={width} />
      <StaleBanner data={fresh ? data : { ...data, status: null }} now={now} staleAfterMs={staleAfterMs} />
      <OutageBanner data={data} now={now} />
      <TabBar active={ui.panel} width={width} />
      <Box height={bodyHeight} flexDirection="column" overflow="hidden">
        <Body data={data} fresh={fresh} ui={shownUi} integrations={integrations} catalogRows={catalogRows} botChoices={botChoices} width={width} height={bodyHeight} now={now} />
      </Box>
      <Footer ui={ui} />
    </Box>
  );
}

export function App({ color, ...rest }: AppProps) {
  return (
    <ColorContext.Provider value={color}>
      <Screen {...rest} />
    </ColorContext.Provider>
  );
}
