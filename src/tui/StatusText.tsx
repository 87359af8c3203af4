/** A status word, coloured when colour is on: OK / DEGRADED / BLOCKED / UNKNOWN / ERROR; `label` shows another word in that status's colour. */
import { Text } from 'ink';
import { statusColour, useColour } from './theme.js';

export function StatusText({ status, bold, label }: { status: string; bold?: boolean; label?: string }) {
  const colour = useColour();
  return (
    <Text color={colour(statusColour(status))} bold={bold ?? status === 'BLOCKED'} wrap="truncate-end">
      {label ?? status}
    </Text>
  );
}
