/** The panel tabs, from the registry; the active one is bracketed (readable without colour) and inverted with colour. */
import { Box, Text } from 'ink';
import { PANELS, type PanelId } from './panels/index.js';
import { hintLine, type Hint } from './keymap.js';
import { useColor } from './theme.js';

/** Narrower than this, tabs use their short titles so the bar keeps to one line. */
const FULL_WIDTH = 70;

const TAB_HINTS: readonly Hint[] = [
  { on: ['help'], label: 'help' },
  { on: ['quit'], label: 'quit' },
];

export function TabBar({ active, width }: { active: PanelId; width: number }) {
  const on = useColor();
  return (
    <Box width={width}>
      {PANELS.map((p, i) => {
        const label = `${i + 1} ${width >= FULL_WIDTH ? p.title : p.shortTitle}`;
        const isActive = p.id === active;
        return (
          <Box key={p.id} flexShrink={0}>
            <Text bold={isActive} inverse={isActive && on} wrap="truncate">
              {isActive ? `[${label}]` : ` ${label} `}
            </Text>
          </Box>
        );
      })}
      <Text dimColor wrap="truncate-end">{`  ${hintLine(TAB_HINTS, 'browse', active)}`}</Text>
    </Box>
  );
}
