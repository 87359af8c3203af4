/** The panel tabs; the active one is bracketed (readable without colour) and inverted with colour. */
import { Box, Text } from 'ink';
import type { PanelId } from './controller.js';
import { PANELS } from './controller.js';
import { useColor } from './theme.js';

export const PANEL_TITLES: Record<PanelId, string> = {
  integrations: 'Integrations',
  proof: 'Proof of use',
  catalog: 'Catalog',
  gate: 'Gate',
};

/** Narrow terminals: titles that keep the bar on one line. */
const SHORT_TITLES: Record<PanelId, string> = { integrations: 'Integr', proof: 'Proof', catalog: 'Catalog', gate: 'Gate' };
const FULL_WIDTH = 70;

export function TabBar({ active, width }: { active: PanelId; width: number }) {
  const on = useColor();
  const titles = width >= FULL_WIDTH ? PANEL_TITLES : SHORT_TITLES;
  return (
    <Box width={width}>
      {PANELS.map((p, i) => {
        const label = `${i + 1} ${titles[p]}`;
        const isActive = p === active;
        return (
          <Box key={p} flexShrink={0}>
            <Text bold={isActive} inverse={isActive && on} wrap="truncate">
              {isActive ? `[${label}]` : ` ${label} `}
            </Text>
          </Box>
        );
      })}
      <Text dimColor wrap="truncate-end">{'  ? help · q quit'}</Text>
    </Box>
  );
}
