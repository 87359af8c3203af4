/**
 * Always on screen: the global autonomy verdict for the mode shown (text + colour), how old
 * the data is, the daemon's heartbeat age, the database read, and the first blocker with its
 * trace_id so an on-call engineer can quote it without switching panels; and the market session
 * (state, why, countdown to the next open or close) from the status view's `market`.
 */
import { Box, Text } from 'ink';
import type { TuiData } from './controller.js';
import { headerStatus } from './verdict.js';
import { ago, interval, safe, seconds } from './format.js';
import { statusColour, useColor, useColour } from './theme.js';
import { STORE_UNREACHABLE_FIX } from '../core/errors.js';
import { tabName } from './panels/index.js';
import { describeReason, formatCountdown, type MarketSessionView, type ReasonKind } from '../core/views.js';

interface Props {
  data: TuiData;
  now: number;
  width: number;
}

function Badge({ status }: { status: string }) {
  const on = useColor();
  // with colour: a solid block; without: brackets, so it still reads as the headline
  return on ? <Text backgroundColor={statusColour(status)} color="black" bold>{` ${status} `}</Text> : <Text bold>{`[ ${status} ]`}</Text>;
}

function FirstBlocker({ data }: { data: TuiData }) {
  const colour = useColour();
  if (data.outage)
    return (
      <Text color={colour('magenta')} wrap="truncate-end">
        {`? STATUS_UNAVAILABLE fix: ${safe(data.outage.fix ?? STORE_UNREACHABLE_FIX)}`}
      </Text>
    );
  if (!data.status)
    return (
      <Text dimColor wrap="truncate-end">
        … reading the status store
      </Text>
    );
  // a halt in force is the headline: scope, who, how long ago
  const halts = data.status.trading_state ?? [];
  if (halts.length) {
    const h = [...halts].sort((x, y) => Number(y.state === 'HALTED') - Number(x.state === 'HALTED'))[0];
    const more = halts.length > 1 ? ` +${halts.length - 1} more (${tabName('gate')})` : '';
    return (
      <Text wrap="truncate-end">
        <Text color={colour('red')} bold>{`⛔ ${h.state} ${h.scope === 'global' ? 'global' : `${h.scope} ${safe(h.target)}`}`}</Text>
        {` by ${safe(h.actor)} ${ago(h.since)}: ${safe(h.reason)}${more}`}
      </Text>
    );
  }
  const { blockers, warnings } = data.status.autonomy;
  const b = blockers[0];
  if (!b) {
    const w = warnings.length ? ` · ${warnings.length} warning(s) (${tabName('gate')})` : '';
    return <Text color={colour('green')} wrap="truncate-end">{`✓ no blockers for ${data.status.mode}${w}`}</Text>;
  }
  const more = blockers.length > 1 ? ` +${blockers.length - 1} more (${tabName('gate')})` : '';
  return (
    <Text wrap="truncate-end">
      <Text color={colour('red')} bold>{`✗ ${safe(b.code)}`}</Text>
      {`${b.integration ? ` [${safe(b.integration)}]` : ''} trace_id ${safe(b.trace_id ?? '—')}${more}`}
    </Text>
  );
}

/** "market OPEN equity_index · closes in 3h 2m" — the countdown ticks with `now` between reads. */
export function marketLine(m: MarketSessionView, now: number): string {
  const change = m.state === 'open' ? m.next_close : m.next_open;
  const reason = (r: { kind: ReasonKind; name: string | null }) => describeReason({ kind: r.kind, name: r.name ?? undefined });
  const why = m.state === 'open' ? (m.early_close ? ` (${reason(m.early_close)})` : '') : ` (${reason(m.reason)})`;
  const when = change === null ? '' : ` · ${m.state === 'open' ? 'closes' : 'opens'} in ${formatCountdown(Math.max(0, (Date.parse(change) - now) / 1000))}`;
  return `market ${m.state.toUpperCase()} ${m.group}${why}${when}`;
}

function Market({ data, now }: { data: TuiData; now: number }) {
  const colour = useColour();
  const m = data.status?.market;
  // always one line, so the body's height does not jump while the store is read
  if (!m)
    return (
      <Text dimColor wrap="truncate-end">
        market —
      </Text>
    );
  const tint = m.state === 'open' ? 'green' : m.state === 'break' ? 'yellow' : 'magenta';
  return (
    <Text color={colour(tint)} wrap="truncate-end">
      {safe(marketLine(m, now))}
    </Text>
  );
}

export function Header({ data, now, width }: Props) {
  const status = headerStatus(data, now);
  const updated = data.updatedAt === null ? 'never' : `${seconds(now - data.updatedAt)} ago`;
  const d = data.status?.daemon;
  const beat = !data.status ? '—' : d?.heartbeat_age_ms == null ? 'none' : `${seconds(d.heartbeat_age_ms + (now - (data.updatedAt ?? now)))} ago`;
  return (
    <Box flexDirection="column" width={width}>
      {/* one Text, not a row of boxes: flex would squeeze the badge and wrap it at 80 columns */}
      <Text wrap="truncate-end">
        <Text bold>OBSERVATORY </Text>
        <Badge status={status} />
        {` mode ${data.request.mode} · updated ${updated} · daemon heartbeat ${beat}`}
      </Text>
      <Text dimColor wrap="truncate-end">{`${data.listening ? 'LISTEN ok' : 'no LISTEN'} · poll ${interval(data.intervalMs)} · db ${safe(data.where)}`}</Text>
      <Market data={data} now={now} />
      <FirstBlocker data={data} />
    </Box>
  );
}
