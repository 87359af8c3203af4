/**
 * Panel A's detail drawer: the integration's last 20 usage events (sanitized by listEvents)
 * and its recent probes, each with its trace_id. j/k scroll, Esc closes.
 */
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { DrawerData } from './panels/integrations.js';
import type { IntegrationRow } from '../core/views.js';
import type { EventView } from '../core/views.js';
import type { ProbeRow } from '../core/views.js';
import { CellsLine, MARK, MoreLine, widthsFor, type Cell, type Column } from './Table.js';
import { clock, latency, safe, shortId } from './format.js';
import { StatusText } from './StatusText.js';

interface Props {
  row: IntegrationRow | undefined;
  name: string;
  drawer: DrawerData | null;
  scroll: number;
  width: number;
  height: number;
}

/** "OK 390 rec ESZ5 1m" / "BLOCKED MISSING_CREDENTIALS": status first, always as text. */
function eventResult(e: EventView): string {
  if (e.status !== 'OK') return `${e.status} ${e.reason_code ?? ''}`.trim();
  const parts = [e.records !== null ? `${e.records} rec` : '', e.symbol ?? '', e.timeframe ?? ''];
  const model = typeof e.metadata.model === 'string' ? e.metadata.model : '';
  // a simulated row says so first: it is never evidence that a vendor worked
  return [e.simulated ? 'SIMULATED' : 'OK', ...parts, model].filter(Boolean).join(' ');
}

/** "endpoint: custom · env demo · live account: no": what the probe was pointed at and what the vendor said. */
export function endpointLine(r: Pick<IntegrationRow, 'endpoint' | 'environment' | 'account_live'>): string {
  const parts = [`endpoint: ${r.endpoint}`];
  if (r.environment) parts.push(`env ${r.environment}`);
  if (r.account_live !== null) parts.push(`live account: ${r.account_live ? 'yes' : 'no'}`);
  return parts.join(' · ');
}

function probeOutcome(p: ProbeRow): string {
  const http = p.http_status ? ` ${p.http_status}` : '';
  return `${p.reason_code ?? p.outcome}${http}${p.injected ? ' (drill)' : ''}`;
}

/** How many lines the drawer has (App clamps its scroll with this). */
export function drawerLineCount(drawer: DrawerData | null): number {
  return drawer ? 4 + Math.max(1, drawer.events.length) + Math.max(1, drawer.probes.length) : 1;
}

export function IntegrationDrawer({ row, name, drawer, scroll, width, height }: Props) {
  const wide = width >= 120;
  // as wide as the longest operation shown (bounded), so Result keeps what is left; on a narrow
  // screen the operation gives way first: trace_ids stay whole (they are what gets copied)
  const room = width - MARK - (8 + 1) - (32 + 1) - (6 + 1) - 1;
  const opWidth = Math.max(6, Math.min(room, Math.max(9, Math.min(24, ...(drawer?.events ?? []).map((e) => e.operation.length)))));
  const evCols: Column[] = [
    { title: 'UTC', width: 8 },
    { title: 'Operation', width: opWidth },
    ...(wide
      ? [
          { title: 'Bot', width: 8 },
          { title: 'Latency', width: 7 },
        ]
      : []),
    { title: 'Result' },
    { title: 'trace_id', width: 32 },
  ];
  const prCols: Column[] = [
    { title: 'UTC', width: 8 },
    { title: 'Status', width: 8 },
    { title: 'Outcome' },
    { title: 'Latency', width: 7 },
    { title: 'trace_id', width: 32 },
  ];
  const ew = widthsFor(evCols, width);
  const pw = widthsFor(prCols, width);
  const heading = (c: Column[]): Cell[] => c.map((x) => ({ text: x.title, bold: true }));

  const lines: ReactElement[] = [];
  if (!drawer)
    lines.push(
      <Text key="loading" dimColor>
        {'  loading events and probes…'}
      </Text>,
    );
  else {
    lines.push(<Text key="eh" bold>{`Usage events — last ${drawer.events.length} (sanitized)`}</Text>);
    lines.push(<CellsLine key="ec" cells={heading(evCols)} widths={ew} />);
    if (!drawer.events.length)
      lines.push(
        <Text key="e0" dimColor>
          {'  no usage events recorded for this integration'}
        </Text>,
      );
    for (const e of drawer.events)
      lines.push(
        <CellsLine
          key={`e${e.id}`}
          widths={ew}
          cells={[
            clock(e.created_at),
            e.operation,
            ...(wide ? [shortId(e.bot_id), latency(e.latency_ms)] : []),
            { text: eventResult(e), status: e.simulated ? 'UNKNOWN' : e.status === 'ERROR' ? 'DEGRADED' : e.status },
            e.trace_id,
          ]}
        />,
      );
    lines.push(<Text key="ph" bold>{`Probes — last ${drawer.probes.length}`}</Text>);
    lines.push(<CellsLine key="pc" cells={heading(prCols)} widths={pw} />);
    if (!drawer.probes.length)
      lines.push(
        <Text key="p0" dimColor>
          {'  never probed'}
        </Text>,
      );
    drawer.probes.forEach((p, i) =>
      lines.push(
        <CellsLine
          key={`p${i}`}
          widths={pw}
          cells={[clock(p.probed_at), { text: p.status, status: p.status }, probeOutcome(p), latency(p.latency_ms), p.trace_id]}
        />,
      ),
    );
  }
  const body = Math.max(1, height - 1);
  const more = lines.length > body;
  const visible = more ? body - 1 : body;
  const start = Math.max(0, Math.min(scroll, lines.length - visible));
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text bold>{`▌${safe(name)} `}</Text>
        {row ? <StatusText status={row.status} label={row.display_status} /> : null}
        {row?.reason_code ? <Text>{` ${safe(row.reason_code)}`}</Text> : null}
        {row ? <Text>{` · ${endpointLine(row)}`}</Text> : null}
        <Text dimColor>{' · j/k scroll · Esc close'}</Text>
      </Text>
      {lines.slice(start, start + visible)}
      {more ? <MoreLine above={start} below={Math.max(0, lines.length - start - visible)} /> : null}
    </Box>
  );
}
