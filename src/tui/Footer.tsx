/** The bottom line: the filter being typed, or the keys that matter on this panel (all keys: '?'). */
import { Text } from 'ink';
import type { UiState } from './ui.js';
import { safe } from './format.js';

const HINTS: Record<UiState['panel'], string> = {
  integrations: '↑↓ move · Enter events & probes · / filter · m mode · r refresh · ? keys · q quit',
  proof: '↑↓ bot · b search bots · PgUp/PgDn details · m mode · r refresh · ? keys · q quit',
  catalog: '↑↓ move · / filter · m mode · r refresh · ? keys · q quit',
  gate: '↑↓ blocker · m mode · r refresh · ? keys · q quit',
};

export function Footer({ ui }: { ui: UiState }) {
  if (ui.help) return <Text dimColor wrap="truncate-end">{'? or Esc close help · q quit'}</Text>;
  if (ui.botSearch) return <Text dimColor wrap="truncate-end">{'typing searches bots · Enter select · Esc cancel · Ctrl-C quit'}</Text>;
  if (ui.panel === 'integrations' || ui.panel === 'catalog') {
    const f = ui.filter[ui.panel];
    if (ui.filtering) return <Text wrap="truncate-end">{`/${safe(f)}█  Enter keep · Esc clear`}</Text>;
    if (f) return <Text wrap="truncate-end">{`filter "${safe(f)}" · / edit · Esc clear · ? keys`}</Text>;
  }
  if (ui.drawer) return <Text dimColor wrap="truncate-end">{'j/k scroll · Esc close drawer · ? keys · q quit'}</Text>;
  return <Text dimColor wrap="truncate-end">{HINTS[ui.panel]}</Text>;
}
