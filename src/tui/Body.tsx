/** The area under the tabs: the help overlay, the bot selector, the drawer, or the active panel. */
import type { TuiData } from './controller.js';
import type { UiState } from './ui.js';
import type { Row } from './Table.js';
import type { IntegrationRow } from '../core/views.js';
import { HelpOverlay } from './HelpOverlay.js';
import { NoData } from './NoData.js';
import { IntegrationsPanel } from './IntegrationsPanel.js';
import { IntegrationDrawer } from './IntegrationDrawer.js';
import { ProofPanel } from './ProofPanel.js';
import { BotSelector } from './BotSelector.js';
import { CatalogPanel } from './CatalogPanel.js';
import { GatePanel } from './GatePanel.js';
import type { BotChoice } from './controller.js';

interface Props {
  data: TuiData;
  /** false during an outage or when reads stopped: panels then show UNKNOWN, not old rows */
  fresh: boolean;
  ui: UiState;
  integrations: IntegrationRow[];
  catalogRows: Row[] | null;
  botChoices: BotChoice[] | null;
  width: number;
  height: number;
  now: number;
}

export function Body({ data, fresh, ui, integrations, catalogRows, botChoices, width, height, now }: Props) {
  if (ui.help) return <HelpOverlay width={width} />;
  if (!fresh || !data.status) return <NoData data={data} what={ui.panel === 'integrations' ? 'integration health' : ui.panel === 'proof' ? 'proof of use' : ui.panel === 'catalog' ? 'the variable catalog' : 'the autonomy gate'} />;
  switch (ui.panel) {
    case 'integrations':
      if (ui.drawer)
        return (
          <IntegrationDrawer
            name={ui.drawer}
            row={data.status.integrations.find((r) => r.name === ui.drawer)}
            drawer={data.drawer?.integration === ui.drawer ? data.drawer : null}
            scroll={ui.drawerScroll}
            width={width}
            height={height}
          />
        );
      return <IntegrationsPanel rows={integrations} cursor={ui.cursor.integrations} width={width} height={height} now={now} />;
    case 'proof':
      if (ui.botSearch) return <BotSelector query={ui.botSearch.query} cursor={ui.botSearch.cursor} choices={botChoices} width={width} height={height} />;
      return data.proof ? <ProofPanel proof={data.proof} scroll={ui.proofScroll} width={width} height={height} now={now} /> : <NoData data={data} what="proof of use" />;
    case 'catalog':
      return catalogRows ? <CatalogPanel rows={catalogRows} cursor={ui.cursor.catalog} width={width} height={height} filter={ui.filter.catalog} /> : <NoData data={data} what="the variable catalog" />;
    case 'gate':
      return <GatePanel view={data.status} cursor={ui.cursor.gate} width={width} height={height} />;
  }
}
