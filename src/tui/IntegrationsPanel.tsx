/** Panel A: integration health as the prober recorded it (systemStatusView's rows). Enter opens the drawer. */
import { Box } from 'ink';
import type { IntegrationRow } from '../core/views.js';
import { Table, type Column, type Row } from './Table.js';
import { ago, latency, sparkline } from './format.js';

interface Props {
  rows: IntegrationRow[];
  /** the last hour per integration (oldest bucket first); the column shows from 100 columns */
  sparks?: Record<string, ReadonlyArray<string | null>>;
  cursor: number;
  width: number;
  height: number;
  now: number;
}

function required(r: IntegrationRow): string {
  if (!r.required_for_autonomy) return 'no';
  return r.required_groups.length ? 'any' : 'yes';
}

function reason(r: IntegrationRow): string {
  // a probe pointed away from the vendor's own host is always visible (Enter: the drawer says more)
  const custom = r.endpoint === 'custom' ? 'endpoint: custom' : '';
  if (!r.reason_code) return custom;
  // the reason code leads (at 80 columns little more fits), then how many bots the outage stops
  // (bots that used it in the last 24 h)
  const blocks = r.blocks_bots ? ` · blocks ${r.blocks_bots} bot${r.blocks_bots === 1 ? '' : 's'}` : '';
  return `${r.reason_code}${r.injected ? ' (drill)' : ''}${blocks}${r.reason_human ? `: ${r.reason_human}` : ''}${custom ? ` · ${custom}` : ''}`;
}

export function IntegrationsPanel({ rows, sparks, cursor, width, height, now }: Props) {
  // wide terminals get the trace_id column; 80 columns keep the reason readable instead
  const wide = width >= 130;
  const spark = sparks !== undefined && width >= 100;
  const columns: Column[] = [
    { title: 'Integration', width: 12 },
    { title: 'Conn', width: 4 },
    { title: 'Status', width: 8 },
    { title: 'Last OK', width: 8 },
    { title: 'Probed', width: 8 },
    { title: 'Latency', width: 7 },
    { title: 'Req', width: 4 },
    ...(spark ? [{ title: 'Last hour', width: 12 }] : []),
    { title: 'Reason' },
    ...(wide ? [{ title: 'Trace', width: 32 }] : []),
  ];
  const table: Row[] = rows.map((r) => ({
    key: r.name,
    cells: [
      { text: r.name, bold: true },
      r.connected ? 'yes' : 'no',
      { text: r.display_status, status: r.status },
      ago(r.last_ok_at, now),
      ago(r.last_probe_at, now),
      latency(r.latency_ms),
      required(r),
      ...(spark ? [sparkline(sparks[r.name])] : []),
      reason(r),
      ...(wide ? [r.trace_id ?? '—'] : []),
    ],
  }));
  return (
    <Box flexDirection="column">
      <Table columns={columns} rows={table} width={width} height={height} selected={cursor} empty="no integrations configured" />
    </Box>
  );
}
