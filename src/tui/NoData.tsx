/** What a panel shows instead of data it could not read: UNKNOWN, never the last good data. */
import { Text } from 'ink';
import type { TuiData } from './controller.js';
import { safe } from './format.js';
import { useColour } from './theme.js';

export function NoData({ data, what }: { data: TuiData; what: string }) {
  const colour = useColour();
  if (data.outage) return <Text color={colour('magenta')} wrap="truncate-end">{`UNKNOWN — store unreachable: ${what} not shown (retrying)`}</Text>;
  if (data.status) return <Text dimColor>{`loading ${what}…`}</Text>;
  if (data.updatedAt !== null) return <Text color={colour('magenta')} wrap="truncate-end">{`UNKNOWN — ${what} not shown until the next successful read`}</Text>;
  return <Text dimColor wrap="truncate-end">{`connecting to ${safe(data.where)}…`}</Text>;
}
