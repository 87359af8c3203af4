/**
 * Panel C: the variable catalog grouped by source — type, source integrations, availability
 * (derived from Panel A's statuses by catalogView; NO_PRODUCER when nothing computes it) and last_seen_at (from bots'
 * feature_keys_used). Names and metadata only, never values. '/' filters.
 */
import { Box } from 'ink';
import type { CatalogData } from './panels/catalog.js';
import type { VariableView } from '../core/views.js';
import { Table, type Column, type Row } from './Table.js';
import { ago, shortId } from './format.js';

const GROUP_TITLES: Record<string, string> = {
  market_data: 'Market data',
  order_execution: 'Order / execution',
  risk: 'Risk engine',
  ai: 'AI',
};

function matches(
  v: { name: string; type?: string; group?: string; sources?: string[]; availability?: string; availability_reason?: string | null; definition?: string },
  filter: string,
): boolean {
  if (!filter) return true;
  const hay = [v.name, v.type, v.group && GROUP_TITLES[v.group], v.group, ...(v.sources ?? []), v.availability, v.availability_reason, v.definition]
    .join(' ')
    .toLowerCase();
  return filter
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}

/** The rows Panel C shows for a filter: group headings, then their variables (cursor counts both). */
export function catalogRows(catalog: CatalogData, filter: string, now: number, wide: boolean): Row[] {
  const rows: Row[] = [];
  const groups = [...new Set(catalog.variables.map((v) => v.group))];
  for (const g of groups) {
    const vars = catalog.variables.filter((v) => v.group === g && matches(v, filter));
    if (!vars.length) continue;
    rows.push({ key: `g:${g}`, cells: [{ text: `${GROUP_TITLES[g] ?? g} (${vars.length})`, bold: true }] });
    for (const v of vars) rows.push(variableRow(v, now, wide));
  }
  const extra = catalog.uncatalogued.filter((u) => matches({ name: u.name }, filter));
  if (extra.length) {
    rows.push({ key: 'g:uncatalogued', cells: [{ text: `Reported by bots, not catalogued (${extra.length})`, bold: true }] });
    for (const u of extra)
      rows.push({
        key: `u:${u.name}`,
        cells: [u.name, '?', '—', { text: 'UNKNOWN', status: 'UNKNOWN' }, ago(u.last_seen_at, now), ...(wide ? [shortId(u.last_bot_id), u.last_trace_id] : [])],
      });
  }
  return rows;
}

function variableRow(v: VariableView, now: number, wide: boolean): Row {
  return {
    key: v.name,
    cells: [
      v.name,
      v.type,
      v.sources.join(','),
      // nothing computes it: say so, rather than a bare BLOCKED that reads as a vendor outage
      { text: v.availability_reason === 'NO_PRODUCER' ? 'NO_PRODUCER' : v.availability, status: v.availability },
      v.last_seen_at ? `${ago(v.last_seen_at, now)}${v.last_seen_simulated ? ' sim' : ''}` : 'never',
      ...(wide ? [shortId(v.last_bot_id), v.last_trace_id ?? '—'] : []),
    ],
  };
}

interface Props {
  rows: Row[];
  cursor: number;
  width: number;
  height: number;
  filter: string;
}

export function CatalogPanel({ rows, cursor, width, height, filter }: Props) {
  const wide = width >= 130;
  const columns: Column[] = [
    { title: 'Variable' },
    { title: 'Type', width: 6 },
    { title: 'Sources', width: 20 },
    { title: 'Avail', width: 11 },
    { title: 'Last seen', width: 9 },
    ...(wide
      ? [
          { title: 'Last bot', width: 8 },
          { title: 'Last trace', width: 32 },
        ]
      : []),
  ];
  return (
    <Box flexDirection="column">
      <Table
        columns={columns}
        rows={rows}
        width={width}
        height={height}
        selected={cursor}
        empty={filter ? `no variable matches "${filter}" (Esc clears)` : 'catalog is empty'}
      />
    </Box>
  );
}
