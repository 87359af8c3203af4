/** Shown whenever the daemon's heartbeat is old: probe results on screen are not being refreshed. */
import { Text } from 'ink';
import type { TuiData } from './controller.js';
import { seconds } from './format.js';
import { useColour } from './theme.js';

export function StaleBanner({ data, now, staleAfterMs }: { data: TuiData; now: number; staleAfterMs: number }) {
  const colour = useColour();
  const daemon = data.status?.daemon;
  if (!daemon || daemon.fresh) return null;
  const age =
    daemon.heartbeat_age_ms === null
      ? 'no running daemon has written a heartbeat'
      : `daemon heartbeat ${seconds(daemon.heartbeat_age_ms + (now - (data.updatedAt ?? now)))} old (limit ${seconds(staleAfterMs)})`;
  return (
    <Text color={colour('red')} bold wrap="truncate-end">
      {`STALE ${age} — probes are not refreshed; autonomy BLOCKED. Start \`observatory up\`.`}
    </Text>
  );
}
