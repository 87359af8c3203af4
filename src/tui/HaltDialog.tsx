/** The halt dialog (H): the TUI's only write action — scope from the selection, a typed reason, HALT typed to confirm. */
import { Box, Text } from 'ink';
import type { HaltDialog as Dialog } from './state.js';
import { HALT_WORD } from './state.js';
import { describeHaltScope } from './halt.js';
import { safe } from './format.js';
import { useColour } from './theme.js';

export function HaltDialog({ halt, width }: { halt: Dialog; width: number }) {
  const colour = useColour();
  const cursor = (active: boolean) => (active ? '█' : '');
  return (
    <Box flexDirection="column" width={width}>
      <Text color={colour('red')} bold wrap="truncate-end">
        {`HALT trading — ${describeHaltScope(halt)}`}
      </Text>
      <Text dimColor wrap="truncate-end">
        {'the only write action in this TUI: no new orders or modifications in this scope (cancels still pass); recorded with your OS user'}
      </Text>
      <Text wrap="truncate-end">{`reason:  ${safe(halt.reason)}${cursor(halt.step === 'reason')}`}</Text>
      {halt.step !== 'reason' ? (
        <Text wrap="truncate-end">{`type ${HALT_WORD} to confirm:  ${safe(halt.confirm)}${cursor(halt.step === 'confirm')}`}</Text>
      ) : null}
      {halt.step === 'sending' ? <Text wrap="truncate-end">{'writing the halt…'}</Text> : null}
      {halt.error ? (
        <Text color={colour('red')} wrap="truncate-end">
          {safe(halt.error)}
        </Text>
      ) : null}
      <Text dimColor wrap="truncate-end">
        {halt.step === 'reason' ? 'Enter: next · Esc: cancel (nothing written)' : `Enter: HALT once ${HALT_WORD} is typed · Esc: cancel (nothing written)`}
      </Text>
    </Box>
  );
}
