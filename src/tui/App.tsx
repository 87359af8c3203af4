/**
 * The on-call screen: header, banners, tabs, the active panel, a hint line. Keys go through
 * the one key registry (keymap.resolveKey) into the pure reducer (ui.reduce), which hands
 * them to the active panel (panels/); what the screen shows is requested from the
 * controller, which reads through the core views.
 */
import { Box, useApp, useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { TuiController } from './controller.js';
import { ColorContext } from './theme.js';
import { useNow, useTerminalSize, useTuiData } from './hooks.js';
import { resolveKey, splitKeys } from './keymap.js';
import { initialUi, keyContext, reduce, type UiEnv, type UiState } from './ui.js';
import { panelById } from './panels/index.js';
import { displayStale } from './verdict.js';
import { Header } from './Header.js';
import { StaleBanner } from './StaleBanner.js';
import { OutageBanner } from './OutageBanner.js';
import { TabBar } from './TabBar.js';
import { Body } from './Body.js';
import { Footer } from './Footer.js';

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

// verdict, store/poll, market session, first blocker (Header.tsx)
const HEADER_LINES = 4;

function Screen({ controller, staleAfterMs, columns, rows, initial }: Omit<AppProps, 'color'>) {
  const { exit } = useApp();
  const data = useTuiData(controller);
  const now = useNow(1000);
  const size = useTerminalSize({ columns, rows });
  const [ui, setUi] = useState<UiState>(() => ({ ...initialUi(controller.getData().request.mode, controller.getData().request.panel), ...initial }));

  const botQuery = ui.botSearch ? ui.botSearch.query : null;
  useEffect(() => {
    controller.setView({ mode: ui.mode, panel: ui.panel, drawer: ui.drawer, botId: ui.botId, botQuery });
  }, [controller, ui.mode, ui.panel, ui.drawer, ui.botId, botQuery]);

  const fresh = Boolean(data.status) && !data.outage && !displayStale(data, now);
  const width = Math.max(40, size.columns);
  const stale = fresh && data.status?.daemon && !data.status.daemon.fresh ? 1 : 0;
  const outage = data.outage || displayStale(data, now) ? 1 : 0;
  // one line spare: a frame as tall as the terminal makes Ink clear the screen on every update
  const bodyHeight = Math.max(3, size.rows - 1 - HEADER_LINES - stale - outage - 1 - 1);

  const panel = panelById(ui.panel);
  const env: UiEnv = { data, listLength: panel.listLength({ data, ui, now, width }), page: Math.max(1, bodyHeight - 2) };
  // the screen state as the active panel shows it (Panel B: the bot the controller chose)
  const shownUi = panel.settle(ui, data);

  // Ink may deliver the next key before React re-subscribes this handler, so the handler
  // reads the latest state from a ref (and advances it itself) instead of its closure
  const latest = useRef({ ui: shownUi, env });
  latest.current = { ui: shownUi, env };
  useInput((input, key) => {
    for (const [i, k] of splitKeys(input, key)) {
      const { ui: current, env: now } = latest.current;
      const action = resolveKey(i, k, keyContext(current), current.panel);
      if (!action) continue;
      if (action.type === 'quit') return exit();
      if (action.type === 'refresh') {
        controller.refresh();
        continue;
      }
      const next = reduce(current, action, now);
      latest.current = { ui: next, env: now };
      setUi(next);
      // the halt dialog confirmed: the TUI's one write (TuiController.halt)
      if (next.halt?.step === 'sending' && current.halt?.step !== 'sending') {
        const h = next.halt;
        void controller
          .halt({ scope: h.scope, target: h.target, reason: h.reason })
          .then((r) =>
            setUi((u) => ({ ...u, halt: r.ok ? null : u.halt && { ...u.halt, step: 'confirm', error: r.message }, notice: r.ok ? r.message : null })),
          );
      }
    }
  });

  return (
    <Box flexDirection="column" width={width}>
      <Header data={data} now={now} width={width} />
      <StaleBanner data={fresh ? data : { ...data, status: null }} now={now} staleAfterMs={staleAfterMs} />
      <OutageBanner data={data} now={now} />
      <TabBar active={ui.panel} width={width} />
      <Box height={bodyHeight} flexDirection="column" overflow="hidden">
        <Body data={data} fresh={fresh} ui={shownUi} width={width} height={bodyHeight} now={now} />
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
