/**
 * The database cannot be read: say so, say when we retry, and show no data (the panels
 * render UNKNOWN). Also covers a display that stopped refreshing without an error.
 */
import { Text } from 'ink';
import type { TuiData } from './controller.js';
import { safe, seconds } from './format.js';
import { displayStale } from './verdict.js';
import { useColour } from './theme.js';

export function OutageBanner({ data, now }: { data: TuiData; now: number }) {
  const colour = useColour();
  if (data.outage) {
    const o = data.outage;
    const retry = Math.max(0, o.nextRetryAt - now);
    return (
      <Text color={colour('magenta')} bold wrap="truncate-end">
        {/* the cause first: at 80 columns the end of the line is cut */}
        {`DATABASE UNREACHABLE · retry #${o.attempts + 1} in ${seconds(retry)}: ${safe(o.message)} · down ${seconds(now - o.since)} · status UNKNOWN`}
      </Text>
    );
  }
  if (displayStale(data, now))
    return (
      <Text color={colour('magenta')} bold wrap="truncate-end">
        {`NOT REFRESHED for ${seconds(now - (data.updatedAt ?? now))} — reads are slow or stuck; status UNKNOWN until the next read`}
      </Text>
    );
  return null;
}
