/**
 * A list of items that take several lines each (blockers, proof sections), scrolled so the
 * item at `cursor` stays in view within `height` lines.
 */
import { Box } from 'ink';
import type { ReactElement } from 'react';
import { MoreLine } from './Table.js';

export interface Item {
  key: string;
  lines: ReactElement[];
}

export function ScrollLines({ items, cursor, height, width }: { items: Item[]; cursor: number; height: number; width: number }) {
  const flat = items.flatMap((it, i) => it.lines.map((l, j) => ({ item: i, el: l, key: `${it.key}:${j}` })));
  const more = flat.length > height;
  const visible = more ? Math.max(1, height - 1) : height;
  const first = flat.findIndex((l) => l.item === cursor);
  // the selected item starts at the top of the window (or as near as the list's end allows)
  const start = more && first >= 0 ? Math.max(0, Math.min(first, flat.length - visible)) : 0;
  const shown = flat.slice(start, start + visible);
  return (
    <Box flexDirection="column" width={width}>
      {shown.map((l) => (
        <Box key={l.key}>{l.el}</Box>
      ))}
      {more ? <MoreLine above={start} below={Math.max(0, flat.length - start - visible)} position={`${cursor + 1}/${items.length}`} /> : null}
    </Box>
  );
}
