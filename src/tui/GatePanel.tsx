/**
 * Panel D: the autonomy verdict for the mode shown — the same evaluateGate result
 * `observatory gate check --mode <mode>` prints — then every blocker and warning with its
 * code, integration, message, actionable fix and trace_id.
 */
import { Box, Text } from 'ink';
import type { Blocker } from '../core/types.js';
import type { SystemStatusView } from '../core/views.js';
import { ScrollLines, type Item } from './ScrollLines.js';
import { StatusText } from './StatusText.js';
import { safe, wrapText } from './format.js';
import { useColour } from './theme.js';

interface Props {
  /** with `bot_id`: the verdict of `gate check --bot` for the bot picked in Panel B */
  view: SystemStatusView & { bot_id?: string | null };
  cursor: number;
  width: number;
  height: number;
}

export function gateItemCount(view: SystemStatusView): number {
  return view.autonomy.blockers.length + view.autonomy.warnings.length;
}

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

export function GatePanel({ view, cursor, width, height }: Props) {
  const colour = useColour();
  const { global_status, blockers, warnings } = view.autonomy;
  const items: Item[] = [
    ...blockers.map((b, i) => ({ key: `b${i}`, lines: BlockerLines(b, 'blocker', cursor === i, width, colour) })),
    ...warnings.map((w, i) => ({ key: `w${i}`, lines: BlockerLines(w, 'warning', cursor === blockers.length + i, width, colour) })),
  ];
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <StatusText status={global_status} bold />
        <Text>
          {view.bot_id
            ? ` autonomy (${view.mode}, bot ${view.bot_id.slice(0, 8)}): ${blockers.length} blocker(s), ${warnings.length} warning(s) — as \`gate check --mode ${view.mode} --bot ${view.bot_id}\``
            : ` autonomy (${view.mode}): ${blockers.length} blocker(s), ${warnings.length} warning(s) — as \`gate check --mode ${view.mode}\``}
        </Text>
      </Text>
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
        <ScrollLines items={items} cursor={cursor} height={Math.max(1, height - 2 - (view.trading_state ?? []).length)} width={width} />
      )}
    </Box>
  );
}
