/**
 * Panel D: the autonomy verdict for the mode shown — the shared status read's evaluateGate
 * result, as `gate check` prints it — with every blocker and warning; j/k move between them.
 */
import { GatePanel, gateItemCount } from '../GatePanel.js';
import { definePanel, type Panel } from './panel.js';

export const gate: Panel<'gate'> = definePanel<'gate', null>({
  id: 'gate',
  title: 'Gate',
  subject: 'the autonomy gate',
  keys: [{ on: ['up', 'down'], label: 'blocker' }],
  listLength: ({ data }) => (data.status ? gateItemCount(data.status) : 0),
  render: ({ status, ui, width, height }) => <GatePanel view={status} cursor={ui.cursor.gate} width={width} height={height} />,
});
