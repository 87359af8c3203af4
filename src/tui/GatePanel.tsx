/**
 * Panel D: the autonomy verdict for the mode shown — the same evaluateGate result
 * `observatory gate check --mode <mode> [--bot ID]` prints — then every blocker and warning
 * with its code, integration, message, actionable fix and trace_id. With a bot, its own
 * blockers (BLOCKED attempts, its last run's end, a stale heartbeat) are among them.
 */
import { Box, Text } from 'ink';
import type { Blocker } from '../core/types.js';
import type { AutonomyView, SystemStatusView } from '../core/views.js';
import { ScrollLines, type Item } from './ScrollLines.js';
import { StatusText } from './StatusText.js';
import { safe, wrapText } from './format.js';
import { useColour } from './theme.js';

/** What Panel D draws: one autonomy verdict (the API's /api/system/autonomy fields it shows). */
export type GateVerdict = Pick<AutonomyView, 'mode' | 'trace_id' | 'bot_id' | 'bot_ref' | 'global_status' | 'blockers' | 'warnings'> & {
  /** kill-switch scopes in force (the shared status read's) */
  trading_state?: SystemStatusView['trading_state'];
};

/** The verdict of the shared status read (no bot). */
export function statusVerdict(status: SystemStatusView): GateVerdict {
  return { mode: status.mode, trace_id: status.trace_id, bot_id: null, bot_ref: null, ...status.autonomy, trading_state: status.trading_state };
}

interface Props {
  view: GateVerdict;
  /** a bot chosen whose own verdict is still being read: the global one is shown, and says so */
  pendingBot?: string | null;
  cursor: number;
  width: number;
  height: number;
}

export function gateItemCount(view: GateVerdict): number {
  return view.blockers.length + view.warnings.length;
}

/** Codes of the per-bot rules (core/autonomy.ts): what Panel D adds to the global verdict for a bot. */
const BOT_CODE = /^BOT_/;

function BlockerLines(b: Blocker, kind: 'blocker' | 'warning', selected: boolean, width: number, colour: ReturnType<typeof useColour>) {
  const indent = '    ';
  const mark = selected ? '›' : ' ';
  return [
    <Text key="h" wrap="truncate-end">
      <Text bold>{`${mark} `}</Text>
      <Text color={colour(kind === 'blocker' ? 'red' : 'yellow')} bold>{`${kind === 'blocker' ? '✗' : '!'} ${safe(b.code)}`}</Text>
      <Text>{b.integration ? ` [${safe(b.integration)}]` : ''}</Text>
    </Text>,
    ...wrapText(b.message, width - indent.length).map((l, i) => <Text key={`m${i}`} wrap="truncate-end">{`${indent}${l}`}</Text>),
    ...wrapText(`fix: ${b.fix}`, width - indent.length).map((l, i) => <Text key={`f${i}`} wrap="truncate-end">{`${indent}${l}`}</Text>),
    <Text key="t" dimColor wrap="truncate-end">{`${indent}trace_id: ${safe(b.trace_id ?? '—')}`}</Text>,
  ];
}

export function GatePanel({ view, pendingBot, cursor, width, height }: Props) {
  const colour = useColour();
  const { global_status, blockers, warnings } = view;
  const who = view.bot_id ?? view.bot_ref;
  const command = `gate check --mode ${view.mode}${who ? ` --bot ${who}` : ''}`;
  const botLine = who
    ? `  bot ${who}${view.bot_ref && view.bot_ref !== view.bot_id ? ` (${view.bot_ref})` : ''}: ${blockers.filter((b) => BOT_CODE.test(b.code)).length} bot blocker(s) (BLOCKED attempts, run ends, heartbeat)`
    : pendingBot
      ? `  reading bot ${pendingBot}'s own blockers… (shown: the global verdict)`
      : '  no bot chosen: global rules only';
  const items: Item[] = [
    ...blockers.map((b, i) => ({ key: `b${i}`, lines: BlockerLines(b, 'blocker', cursor === i, width, colour) })),
    ...warnings.map((w, i) => ({ key: `w${i}`, lines: BlockerLines(w, 'warning', cursor === blockers.length + i, width, colour) })),
  ];
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <StatusText status={global_status} bold />
        <Text>{` autonomy (${view.mode}): ${blockers.length} blocker(s), ${warnings.length} warning(s) — as \`${command}\``}</Text>
      </Text>
      <Text wrap="truncate-end">{botLine}</Text>
      <Text dimColor wrap="truncate-end">{`  evaluation trace_id ${view.trace_id}`}</Text>
      {(view.trading_state ?? []).map((t) => (
        <Text key={`ts-${t.change_id}`} wrap="truncate-end">
          <Text color={colour('red')} bold>{`  ⛔ ${t.state} ${t.scope === 'global' ? 'global' : `${t.scope} ${safe(t.target)}`}`}</Text>
          {` by ${safe(t.actor)} since ${safe(t.since)}${t.expires_at ? ` until ${safe(t.expires_at)}` : ''}: ${safe(t.reason)} · trace_id ${safe(t.trace_id)}`}
        </Text>
      ))}
      {items.length === 0 ? (
        <Text color={colour('green')}>{`  nothing blocks autonomous ${view.mode} trading right now`}</Text>
      ) : (
        <ScrollLines items={items} cursor={cursor} height={Math.max(1, height - 3 - (view.trading_state ?? []).length)} width={width} />
      )}
    </Box>
  );
}
