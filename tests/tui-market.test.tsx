/** The TUI header's market line: session state, why, and a countdown that ticks between reads. */
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import stripAnsi from 'strip-ansi';
import { Header, marketLine } from '../src/tui/Header.js';
import type { TuiData } from '../src/tui/controller.js';
import { loadConfig } from '../src/core/config.js';
import { marketSession, statusFrom, type SystemStatusView } from '../src/core/views.js';
import { loadRegistry } from '../src/core/vendors/registry.js';
import { neverProbedState } from '../src/core/status.js';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const config = loadConfig({ env: { OBSERVATORY_HOME: join(tmpdir(), 'obs-tui-market-unused') } });
const t = (iso: string) => Date.parse(iso);

describe('header market line', () => {
  it('open with the countdown to the close; closed with the holiday and the countdown to the open', () => {
    const open = marketSession(config, { at: t('2025-12-03T15:00:00Z') }); // Wed 09:00 CST
    expect(marketLine(open, t('2025-12-03T15:00:00Z'))).toBe('market OPEN equity_index · closes in 7h 0m');
    expect(marketLine(open, t('2025-12-03T21:59:30Z'))).toBe('market OPEN equity_index · closes in 30s'); // ticks with now
    const xmas = marketSession(config, { at: t('2025-12-25T16:00:00Z') });
    expect(marketLine(xmas, t('2025-12-25T16:00:00Z'))).toBe('market CLOSED equity_index (holiday: Christmas) · opens in 7h 0m');
    const eve = marketSession(config, { at: t('2025-12-24T15:00:00Z') });
    expect(marketLine(eve, t('2025-12-24T15:00:00Z'))).toContain('(early close: Christmas Eve) · closes in 3h 15m');
  });

  it('the status view carries the market, and the header renders it', () => {
    const registry = loadRegistry(config);
    const snap = {
      ts: new Date(t('2025-12-02T22:30:00Z')),
      effective: new Map(registry.integrations.map((s) => [s.name, neverProbedState(s, true, null)])),
      daemon: { fresh: true, heartbeat_age_ms: 1, daemons: 1, leader: null, live_trading_enabled: false, last_stopped_age_ms: null },
    };
    const status: SystemStatusView = statusFrom(registry, config, snap as never, 'shadow');
    expect(status.market).toMatchObject({ state: 'break', reason: { kind: 'maintenance' } });
    const data: TuiData = {
      request: { mode: 'shadow', panel: 'integrations', drawer: null, botId: null, botQuery: null },
      status,
      panelData: {},
      updatedAt: t('2025-12-02T22:30:00Z'),
      outage: null,
      where: 'test',
      listening: true,
      intervalMs: 2000,
    };
    const { lastFrame, unmount } = render(<Header data={data} now={t('2025-12-02T22:45:00Z')} width={120} />);
    expect(stripAnsi(lastFrame() ?? '')).toContain('market BREAK equity_index (daily maintenance) · opens in 15m 0s');
    unmount();
  });
});
