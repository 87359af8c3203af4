/** Shown whenever the daemon's heartbeat is old: probe results on screen are not being refreshed. */
import { Text } from 'ink';
import type { TuiData } from './controller.js';
import { seconds } from './format.js';
import { useColour } from './theme.js';

export function StaleBanner({ data, now, staleAfterMs }: { data: TuiData; now: number; staleAfterMs: number }) {
  const colour = useColour();
  const daemon = data.status?.daemon;
  if (!daemon || daemon.fresh) return null;
  const drift = now - (data.updatedAt ?? now);
  const age =
    daemon.heartbeat_age_ms !== null
      ? `daemon heartbeat ${seconds(daemon.heartbeat_age_ms + drift)} old (limit ${seconds(staleAfterMs)})`
      : daemon.last_stopped_age_ms !== null
        ? `daemon stopped ${seconds(daemon.last_stopped_age_ms + drift)} ago`
        : 'no daemon running';
  // the action first: at 80 columns the end of the line is cut
  return (
    <Text color={colour('red')} bold wrap="truncate-end">
      {`STALE ${age} — gate BLOCKED; start \`observatory up\` (probes are not refreshed)`}
    </Text>
  );
}
