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

export function TabBar({ active, width }: { active: PanelId; width: number }) {
  const on = useColor();
  return (
    <Box width={width}>
      {PANELS.map((p, i) => {
        const label = `${i + 1} ${PANEL_TITLES[p]}`;
        const isActive = p === active;
        return (
          <Text key={p} bold={isActive} inverse={isActive && on}>
            {isActive ? `[${label}]` : ` ${label} `}
          </Text>
        );
      })}
      <Text dimColor wrap="truncate-end">{'  ? help · q quit'}</Text>
    </Box>
  );
}
