/** The 'b' selector: type part of a bot's name or id; ↑/↓ choose, Enter picks, Esc cancels. */
import { Box, Text } from 'ink';
import type { BotChoice } from './panels/proof.js';
import { Table } from './Table.js';
import { safe } from './format.js';

interface Props {
  query: string;
  cursor: number;
  choices: BotChoice[] | null;
  width: number;
  height: number;
}

export function BotSelector({ query, cursor, choices, width, height }: Props) {
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate-end">
        {'Pick a bot — type a name or id · ↑/↓ choose · Enter select · Esc cancel'}
      </Text>
      <Text wrap="truncate-end">{`> ${safe(query)}█`}</Text>
      {choices === null ? (
        <Text dimColor>{'  searching…'}</Text>
      ) : (
        <Table
          columns={[{ title: 'Name' }, { title: 'Bot id', width: 36 }]}
          rows={choices.map((c) => ({ key: c.bot_id, cells: [c.name ?? '(unnamed)', c.bot_id] }))}
          width={width}
          height={Math.max(2, height - 2)}
          selected={cursor}
          empty={query ? `no bot matches "${safe(query)}"` : 'no bot activity in the last 24 h'}
        />
      )}
    </Box>
  );
}
