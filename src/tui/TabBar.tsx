/**
 * The panel tabs, from the registry; the active one is bracketed (readable without colour) and
 * inverted with colour. Narrow terminals get the short titles; when even those do not fit on
 * one line, the tabs not shown are named by their number only.
 */
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

/** Each tab's label for a width (without its brackets or padding). */
export function tabLabels(active: PanelId, width: number): string[] {
  const full = PANELS.map((p, i) => `${i + 1} ${p.title}`);
  const short = PANELS.map((p, i) => `${i + 1} ${p.shortTitle}`);
  // each tab takes two columns more than its label: brackets, or a space either side
  const fits = (labels: string[]) => labels.reduce((n, l) => n + l.length + 2, 0) <= width;
  if (width >= FULL_WIDTH && fits(full)) return full;
  if (fits(short)) return short;
  return PANELS.map((p, i) => (p.id === active ? short[i] : String(i + 1)));
}

export function TabBar({ active, width }: { active: PanelId; width: number }) {
  const on = useColor();
  const labels = tabLabels(active, width);
  return (
    <Box width={width}>
      {PANELS.map((p, i) => {
        const isActive = p.id === active;
        return (
          <Box key={p.id} flexShrink={0}>
            <Text bold={isActive} inverse={isActive && on} wrap="truncate">
              {isActive ? `[${labels[i]}]` : ` ${labels[i]} `}
            </Text>
          </Box>
        );
      })}
      <Text dimColor wrap="truncate-end">{`  ${hintLine(TAB_HINTS, 'browse', active)}`}</Text>
    </Box>
  );
}
