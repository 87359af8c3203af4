/**
 * Panel B: the 10 most active bots (usage_rollups, last 24 h) and, for the selected bot,
 * its last run, per-integration "used in last 24 h" badges with counts, BLOCKED attempts
 * with reasons, and the last trace_id per integration — all botProof's shape, nothing inferred.
 */
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { ProofData } from './panels/proof.js';
import type { BotMarketView, BotProof, IntegrationProof } from '../core/views.js';
import { Table, MoreLine } from './Table.js';
import { ago, clock, count, safe, seconds } from './format.js';
import { StatusText } from './StatusText.js';
import { useColour } from './theme.js';

interface Props {
  proof: ProofData;
  scroll: number;
  width: number;
  height: number;
  now: number;
}

/** The badge: USED (an OK call in the window), else BLOCKED or ERROR — attempts are not use. */
function usage(i: IntegrationProof): { label: string; status: string } {
  // simulated fills and intents are shown as what they are, never as a broker that worked
  if (i.simulated) return { label: 'SIMULATED', status: 'UNKNOWN' };
  if (i.used) return { label: 'USED', status: 'OK' };
  return i.blocked > 0 ? { label: 'BLOCKED', status: 'BLOCKED' } : { label: 'ERROR', status: 'DEGRADED' };
}

/** The counts for an integration's badge line, plus extra lines (broker fills by provenance). */
export function countsOf(i: IntegrationProof): { line: string; more: string[] } {
  const tail =
    i.blocked || i.error ? ` (${[i.blocked ? `${count(i.blocked)} blocked` : '', i.error ? `${count(i.error)} err` : ''].filter(Boolean).join(', ')})` : '';
  if (i.broker) {
    const f = i.broker.fills;
    // fills by provenance on their own line: only LIVE/PAPER fills prove the broker was used
    if (i.simulated)
      return {
        line: `${count(i.broker.order_intents.total)} simulated order intents${tail}`,
        more: [`fills: sim ${count(f.SIM)} (shadow; never sent to a broker)`],
      };
    return {
      line: `${count(i.broker.order_intents.total)} order intents${tail}`,
      more: [`fills: live ${count(f.LIVE)} · paper ${count(f.PAPER)} · sim ${count(f.SIM)}`],
    };
  }
  if (i.ai)
    return {
      line: `${count(i.ai.calls)} calls${tail}${i.ai.models.length ? ` · ${i.ai.models.map((m) => `${m.model}×${count(m.calls)}`).join(' ')}` : ''}`,
      more: [],
    };
  if (i.market_data) return { line: `${count(i.market_data.calls)} calls / ${count(i.market_data.bars)} bars${tail}`, more: [] };
  if (i.risk) return { line: `${count(i.risk.checks)} checks · ${count(i.risk.violations)} violations`, more: [] };
  return { line: `${count(i.calls)} calls${tail}`, more: [] };
}

function detailLines(
  p: BotProof,
  now: number,
  colour: ReturnType<typeof useColour>,
  market: BotMarketView | null = null,
  custom: ReadonlySet<string> = new Set(),
): ReactElement[] {
  const out: ReactElement[] = [];
  out.push(
    <Text key="id" wrap="truncate-end">
      <Text bold>{safe(p.bot.name ?? '(unnamed)')}</Text>
      {`  ${p.bot.id}`}
    </Text>,
  );
  const r = p.last_run;
  if (!r)
    out.push(
      <Text key="run" dimColor>
        no run recorded
      </Text>,
    );
  else {
    const ended = r.ended_at ? ` · ended ${ago(r.ended_at, now)}` : ` · heartbeat ${seconds(r.heartbeat_age_s * 1000)} ago`;
    out.push(
      <Text key="run" wrap="truncate-end">
        {`run ${r.mode} `}
        <StatusText status={r.status} />
        {`${ended} · terminal ${r.terminal_state ?? '—'}${r.reason_code ? ` (${safe(r.reason_code)})` : ''}`}
      </Text>,
    );
    out.push(<Text key="runt" dimColor wrap="truncate-end">{`  run trace_id ${r.trace_id}`}</Text>);
  }
  // market time: zero bars on a weekend is "market closed", not an outage; stale data says so
  if (market)
    out.push(
      <Text key="mkt" wrap="truncate-end" color={colour(market.stale ? 'red' : market.state === 'open' ? 'green' : 'magenta')} bold={market.stale}>
        {`${market.stale ? '✗ BOT_DATA_STALE ' : ''}${safe(market.note)}`}
      </Text>,
    );
  if (market?.blocker) out.push(<Text key="mktt" dimColor wrap="truncate-end">{`  trace_id ${market.blocker.trace_id ?? '—'}`}</Text>);
  // with the date: at 23:31, "since 23:00" alone reads like the last half hour
  out.push(<Text key="uh" bold>{`Used in last ${p.window.hours}h (since ${p.window.since.slice(0, 16).replace('T', ' ')} UTC)`}</Text>);
  if (!p.integrations.length)
    out.push(
      <Text key="u0" dimColor>
        {'  no usage recorded in the window'}
      </Text>,
    );
  for (const i of p.integrations) {
    const u = usage(i);
    const c = countsOf(i);
    out.push(
      <Text key={`u${i.integration}`} wrap="truncate-end">
        <Text bold>{`${safe(i.integration)}${custom.has(i.integration) ? ' [endpoint: custom]' : ''} `}</Text>
        <StatusText status={u.status} label={u.label} />
        {` ${safe(c.line)}`}
      </Text>,
    );
    c.more.forEach((l, n) => out.push(<Text key={`m${i.integration}${n}`} wrap="truncate-end">{`  ${safe(l)}`}</Text>));
    out.push(<Text key={`t${i.integration}`} dimColor wrap="truncate-end">{`  trace_id ${i.last_trace_id} · ${ago(i.last_at, now)}`}</Text>);
  }
  if (p.blocked_attempts.length) {
    out.push(<Text key="bh" bold color={colour('red')}>{`BLOCKED attempts (${p.blocked_attempts.length})`}</Text>);
    p.blocked_attempts.forEach((b, n) => {
      out.push(<Text key={`b${n}`} wrap="truncate-end">{`${safe(b.integration)} ${safe(b.reason_code)} ×${count(b.count)} · last ${clock(b.last_at)}`}</Text>);
      out.push(<Text key={`bt${n}`} dimColor wrap="truncate-end">{`  trace_id ${b.last_trace_id}`}</Text>);
    });
  }
  return out;
}

export function ProofPanel({ proof, scroll, width, height, now }: Props) {
  const colour = useColour();
  const listWidth = Math.max(24, Math.min(40, Math.floor(width * 0.32)));
  const detailWidth = width - listWidth - 1;
  const selected = proof.top.findIndex((b) => b.bot_id === proof.botId);
  const empty = proof.missing
    ? `bot ${proof.botId} is not in the store (no run or event): press b to pick another`
    : proof.botId
      ? 'loading…'
      : 'no bot activity in the last 24 h';
  const lines = proof.bot
    ? detailLines(proof.bot, now, colour, proof.market ?? null, new Set(proof.customEndpoints ?? []))
    : [
        <Text key="none" dimColor wrap="wrap">
          {empty}
        </Text>,
      ];
  const more = lines.length > height;
  const visible = more ? height - 1 : height;
  const start = Math.max(0, Math.min(scroll, lines.length - visible));
  return (
    <Box width={width}>
      <Box width={listWidth} marginRight={1} flexDirection="column">
        <Text bold wrap="truncate-end">
          Most active (24h)
        </Text>
        <Table
          columns={[{ title: 'Bot' }, { title: 'Calls', width: 6 }]}
          rows={proof.top.map((b) => ({ key: b.bot_id, cells: [b.name ?? b.bot_id.slice(0, 8), count(b.calls)] }))}
          width={listWidth}
          height={Math.min(height - 1, 12)}
          selected={selected < 0 ? undefined : selected}
          empty="no bot activity"
        />
        <Text dimColor wrap="truncate-end">
          {'b: search name/id'}
        </Text>
      </Box>
      <Box width={detailWidth} flexDirection="column">
        {lines.slice(start, start + visible)}
        {more ? <MoreLine above={start} below={Math.max(0, lines.length - start - visible)} keys="PgUp/PgDn" /> : null}
      </Box>
    </Box>
  );
}
