/** The '?' overlay, drawn from the key registry itself (keymap.ts), so it cannot drift from the bindings. */
import { Box, Text } from 'ink';
import { helpRows, type HelpGroup } from './keymap.js';

const LEFT: HelpGroup[] = ['Panels', 'Move'];
const RIGHT: HelpGroup[] = ['Data', 'App'];

function Group({ group, width }: { group: HelpGroup; width: number }) {
  const rows = helpRows().filter((r) => r.group === group);
  // never shrink to fit a short screen (rows would overlap): what does not fit is cut at the bottom
  return (
    <Box flexDirection="column" width={width} flexShrink={0}>
      <Text bold underline>
        {group}
      </Text>
      {rows.map((r) => (
        <Box key={`${r.keys}|${r.help}`} flexShrink={0}>
          <Box width={11} flexShrink={0}>
            <Text bold>{r.keys}</Text>
          </Box>
          <Box width={Math.max(8, width - 11)}>
            <Text wrap="truncate-end">{r.help}</Text>
          </Box>
        </Box>
      ))}
    </Box>
  );
}

export function HelpOverlay({ width }: { width: number }) {
  const twoColumns = width >= 70;
  const col = twoColumns ? Math.floor((width - 2) / 2) : width;
  if (!twoColumns)
    // one column on a narrow screen: how to leave comes first, in case the rest is cut at the bottom
    return (
      <Box flexDirection="column" width={width} flexShrink={0}>
        <Text bold wrap="truncate-end">
          {'Keys (read-only) except H = halt dialog · ? or Esc closes'}
        </Text>
        {(['App', 'Panels', 'Move', 'Data'] as HelpGroup[]).map((g) => (
          <Group key={g} group={g} width={col} />
        ))}
      </Box>
    );
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate-end">
        {'Keys — read-only except H (halt dialog: the only write action) · ? / Esc closes'}
      </Text>
      <Box flexDirection={twoColumns ? 'row' : 'column'}>
        <Box flexDirection="column" width={col} flexShrink={0} marginRight={twoColumns ? 2 : 0}>
          {LEFT.map((g) => (
            <Group key={g} group={g} width={col} />
          ))}
        </Box>
        <Box flexDirection="column" width={col}>
          {RIGHT.map((g) => (
            <Group key={g} group={g} width={col} />
          ))}
        </Box>
      </Box>
    </Box>
  );
}
