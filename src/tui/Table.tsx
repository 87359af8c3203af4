/**
 * A fixed-width table: one line per row, every cell truncated to its column, so a long
 * reason or name can never wrap and push the header off an 80×24 screen. The selected
 * row is marked with '›' (visible without colour) and inverted when colour is on.
 */
import { Box, Text } from 'ink';
import { statusColour, useColor, useColour, type Colour } from './theme.js';
import { safe, visibleWindow } from './format.js';

export interface Column {
  title: string;
  /** columns without a width share what is left */
  width?: number;
}

export type Cell = string | { text: string; status?: string; colour?: Colour; bold?: boolean };

export interface Row {
  key: string;
  cells: Cell[];
}

interface Props {
  columns: Column[];
  rows: Row[];
  width: number;
  /** lines available, header included */
  height: number;
  selected?: number;
  empty?: string;
}

export const MARK = 2;

export function widthsFor(columns: Column[], width: number): number[] {
  const fixed = columns.reduce((a, c) => a + (c.width ?? 0) + 1, 0);
  const flex = columns.filter((c) => c.width === undefined).length;
  const rest = Math.max(4, Math.floor((width - MARK - fixed - flex) / Math.max(1, flex)));
  return columns.map((c) => c.width ?? rest);
}

export function CellText({ cell, width, inverse }: { cell: Cell; width: number; inverse: boolean }) {
  const colour = useColour();
  const c = typeof cell === 'string' ? { text: cell } : cell;
  const tint = c.status ? statusColour(c.status) : c.colour;
  return (
    <Box width={width + 1} paddingRight={1}>
      <Text color={colour(tint)} bold={c.bold ?? c.status === 'BLOCKED'} inverse={inverse} wrap="truncate-end">
        {safe(c.text) || ' '}
      </Text>
    </Box>
  );
}

export function Table({ columns, rows, width, height, selected, empty }: Props) {
  const colourOn = useColor();
  const widths = widthsFor(columns, width);
  const bodyHeight = Math.max(1, height - 1);
  const more = rows.length > bodyHeight;
  const { start, end } = visibleWindow(rows.length, selected ?? 0, more ? bodyHeight - 1 : bodyHeight);
  return (
    <Box flexDirection="column" width={width}>
      <Box>
        <Box width={MARK} />
        {columns.map((c, i) => (
          <Box key={c.title} width={widths[i] + 1} paddingRight={1}>
            <Text bold underline={colourOn} wrap="truncate-end">
              {c.title}
            </Text>
          </Box>
        ))}
      </Box>
      {rows.length === 0 ? <Text dimColor>{`  ${empty ?? 'nothing to show'}`}</Text> : null}
      {rows.slice(start, end).map((r, i) => {
        const isSel = selected === start + i;
        return (
          <Box key={r.key}>
            <Box width={MARK}>
              <Text bold>{isSel ? '›' : ' '}</Text>
            </Box>
            {r.cells.map((cell, j) => (
              <CellText key={j} cell={cell} width={widths[j]} inverse={isSel && colourOn} />
            ))}
          </Box>
        );
      })}
      {more ? <MoreLine above={start} below={rows.length - end} position={`${(selected ?? 0) + 1}/${rows.length}`} /> : null}
    </Box>
  );
}

/** "↑3 ↓12 more · 4/19 (j/k)": where the visible window sits in a longer list, and the keys that move it. */
export function MoreLine({ above, below, position, keys = 'j/k' }: { above: number; below: number; position?: string; keys?: string }) {
  const parts = [above > 0 ? `↑${above}` : '', below > 0 ? `↓${below}` : ''].filter(Boolean).join(' ');
  return <Text dimColor wrap="truncate-end">{`  ${parts} more${position ? ` · ${position}` : ''} (${keys})`}</Text>;
}

/** One table-like line outside a Table (drawer, proof details): a marker column then cells. */
export function CellsLine({ cells, widths, mark = ' ' }: { cells: Cell[]; widths: number[]; mark?: string }) {
  return (
    <Box>
      <Box width={MARK}>
        <Text bold>{mark}</Text>
      </Box>
      {cells.map((cell, j) => (
        <CellText key={j} cell={cell} width={widths[j]} inverse={false} />
      ))}
    </Box>
  );
}
