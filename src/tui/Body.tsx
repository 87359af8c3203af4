/** The area under the tabs: the help overlay, UNKNOWN when nothing fresh was read, else the active panel as the registry draws it. */
import type { TuiData } from './controller.js';
import type { UiState } from './state.js';
import { HelpOverlay } from './HelpOverlay.js';
import { NoData } from './NoData.js';
import { panelById } from './panels/index.js';
import { HaltDialog } from './HaltDialog.js';

interface Props {
  data: TuiData;
  /** false during an outage or when reads stopped: panels then show UNKNOWN, not old rows */
  fresh: boolean;
  ui: UiState;
  width: number;
  height: number;
  now: number;
}

export function Body({ data, fresh, ui, width, height, now }: Props) {
  if (ui.help) return <HelpOverlay width={width} />;
  if (ui.halt) return <HaltDialog halt={ui.halt} width={width} />;
  const panel = panelById(ui.panel);
  if (!fresh || !data.status) return <NoData data={data} what={panel.subject} />;
  const Panel = panel.render;
  return <Panel data={data} status={data.status} ui={ui} width={width} height={height} now={now} />;
}
