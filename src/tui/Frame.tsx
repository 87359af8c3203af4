/**
 * One plain frame for a stdout that is not a terminal (pipes, CI logs): the header, Panel A
 * and Panel D as read once — no keys, no live updates, so it can never hang.
 */
import { Box, Text } from 'ink';
import type { TuiData } from './controller.js';
import { ColorContext } from './theme.js';
import { Header } from './Header.js';
import { StaleBanner } from './StaleBanner.js';
import { OutageBanner } from './OutageBanner.js';
import { IntegrationsPanel } from './IntegrationsPanel.js';
import { GatePanel, statusVerdict } from './GatePanel.js';
import { NoData } from './NoData.js';

export function Frame({ data, width, staleAfterMs, now }: { data: TuiData; width: number; staleAfterMs: number; now: number }) {
  const s = data.status;
  return (
    <ColorContext.Provider value={false}>
      <Box flexDirection="column" width={width}>
        <Header data={data} now={now} width={width} />
        <StaleBanner data={data} now={now} staleAfterMs={staleAfterMs} />
        <OutageBanner data={data} now={now} />
        <Text> </Text>
        {s ? (
          <>
            <IntegrationsPanel rows={s.integrations} cursor={-1} width={width} height={s.integrations.length + 1} now={now} />
            <Text> </Text>
            <GatePanel view={statusVerdict(s)} cursor={-1} width={width} height={1000} />
          </>
        ) : (
          <NoData data={data} what="integration health" />
        )}
      </Box>
    </ColorContext.Provider>
  );
}
