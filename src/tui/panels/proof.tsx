/**
 * Panel B: proof of use — the 10 most active bots (botsView) and the chosen bot's proof
 * (botProofView). 'b' (from any panel) or '/' opens the bot selector (findBots): type part of
 * a name or id, ↑/↓ choose, Enter picks, Esc cancels.
 */
import { botProofView, botsView, findBots, type BotMarketView, type BotProof } from '../../core/views.js';
import type { Config } from '../../core/config.js';
import type { Registry } from '../../core/types.js';
import type pg from 'pg';
import type { TuiData } from '../controller.js';
import { clamp, edited, type UiState } from '../state.js';
import { ProofPanel } from '../ProofPanel.js';
import { BotSelector } from '../BotSelector.js';
import { NoData } from '../NoData.js';
import { definePanel, type KeyRun, type Panel } from './panel.js';

export interface BotChoice {
  bot_id: string;
  name: string | null;
}

export interface ProofData {
  top: Array<BotChoice & { calls: number; blocked: number; last_at: string }>;
  /** the bot shown: the one picked, else the most active */
  botId: string | null;
  bot: BotProof | null;
  /** the bot's market-time context (session, data age in open-market seconds, BOT_DATA_STALE) */
  market?: BotMarketView | null;
  /** the bot asked for has no row in the store (a wrong id, or a database that was reset) */
  missing: boolean;
  /** integrations reached through a non-default base URL (a stand-in, a proxy): shown as `[endpoint: custom]` */
  customEndpoints?: string[];
}

export interface ProofView {
  proof: ProofData;
  /** the selector's search results for the request's botQuery; null while it is read */
  botChoices: BotChoice[] | null;
}

/** Panel B's read, for tests and tools that look at the controller's data. */
export function proofView(data: TuiData): ProofView | null {
  return (data.panelData.proof as ProofView | undefined) ?? null;
}

async function loadProof(pool: pg.Pool, botId: string | null, env: { config?: Config; registry?: Registry }): Promise<ProofData> {
  const { bots } = await botsView(pool, { limit: 10 });
  const id = botId ?? bots[0]?.bot_id ?? null;
  const view = id ? await botProofView(pool, id, { config: env.config, registry: env.registry }) : null;
  return {
    top: bots.map((t) => ({ bot_id: t.bot_id, name: t.name, calls: t.calls, blocked: t.blocked, last_at: t.last_at })),
    botId: id,
    bot: view?.proof ?? null,
    market: view?.market_time ?? null,
    missing: id !== null && !view?.proof,
    customEndpoints: view?.custom_endpoints ?? [],
  };
}

const topOf = (view: ProofView | null) => view?.proof.top ?? [];

/** The selector's candidates: the most active bots until something is typed, then the search's results. */
function choicesOf(ui: UiState, view: ProofView | null): BotChoice[] | null {
  if (!ui.botSearch) return null;
  return ui.botSearch.query.trim() ? (view?.botChoices ?? null) : topOf(view);
}

const openSelector: KeyRun<ProofView> = (s) => ({ ...s, botSearch: { query: '', cursor: 0 } });

/** ↑/↓ (and pages) move through the most active bots; the detail scroll starts over. */
const moveBot: KeyRun<ProofView> = (s, a, env) => {
  const top = topOf(env.view);
  if (!top.length) return { ...s, proofScroll: 0 };
  const delta = a.type === 'down' ? 1 : -1;
  const at = top.findIndex((b) => b.bot_id === s.botId);
  const next = clamp((at < 0 ? (delta > 0 ? -1 : 0) : at) + delta, 0, top.length - 1);
  return { ...s, cursor: { ...s.cursor, proof: next }, botId: top[next].bot_id, proofScroll: 0 };
};

const searchKeys: KeyRun<ProofView> = (s, a, env) => {
  const search = s.botSearch;
  if (!search) return s;
  if (a.type === 'type' || a.type === 'erase') return { ...s, botSearch: { query: edited(search.query, a), cursor: 0 } };
  if (a.type === 'close') return { ...s, botSearch: null };
  const choices = choicesOf(s, env.view) ?? [];
  if (a.type === 'up' || a.type === 'down')
    return { ...s, botSearch: { ...search, cursor: clamp(search.cursor + (a.type === 'down' ? 1 : -1), 0, Math.max(0, choices.length - 1)) } };
  // Enter: pick the bot under the cursor
  const pick = choices[search.cursor];
  if (!pick) return s;
  const at = topOf(env.view).findIndex((b) => b.bot_id === pick.bot_id);
  return { ...s, botSearch: null, botId: pick.bot_id, proofScroll: 0, cursor: { ...s.cursor, proof: Math.max(0, at) } };
};

export const proof: Panel<'proof'> = definePanel<'proof', ProofView>({
  id: 'proof',
  title: 'Proof of use',
  shortTitle: 'Proof',
  subject: 'proof of use',
  keys: [
    { on: ['up', 'down'], label: 'bot', run: moveBot },
    { on: ['pickBot'], label: 'search bots', everywhere: true, run: openSelector },
    {
      on: ['pageUp', 'pageDown'],
      label: 'details',
      run: (s, a, env) => ({ ...s, proofScroll: Math.max(0, s.proofScroll + (a.type === 'pageDown' ? 1 : -1) * Math.max(1, env.page)) }),
    },
    { on: ['filter'], help: 'search', run: openSelector },
    // the selector (text context: letters are the search)
    { on: ['type', 'erase', 'up', 'down', 'close'], contexts: ['text'], run: searchKeys },
    { on: ['open'], help: 'choose bot', contexts: ['text'], run: searchKeys },
  ],
  async load({ pool, request, config, registry }) {
    const [proof, botChoices] = await Promise.all([
      loadProof(pool, request.botId, { config, registry }),
      request.botQuery !== null ? findBots(pool, request.botQuery) : null,
    ]);
    return { proof, botChoices };
  },
  carry(view, prev, next) {
    let v = view;
    // results of an earlier query must not be picked by Enter while this one is being read
    if (next.botQuery !== prev.botQuery) v = { ...v, botChoices: null };
    if (next.botId !== prev.botId) v = { ...v, proof: { ...v.proof, botId: next.botId, bot: null } };
    return v;
  },
  listLength: ({ view }) => topOf(view).length,
  // the cursor follows the bot the controller shows (the most active one until one is picked)
  settle: (ui, view) => (view && !ui.botId ? { ...ui, botId: view.proof.botId } : ui),
  footer: (ui) => (ui.botSearch ? [{ phrase: 'typing searches bots' }, { on: ['open'], label: 'select' }, { on: ['close'], label: 'cancel' }] : undefined),
  render: ({ data, view, ui, width, height, now }) => {
    if (ui.botSearch)
      return <BotSelector query={ui.botSearch.query} cursor={ui.botSearch.cursor} choices={choicesOf(ui, view)} width={width} height={height} />;
    return view ? (
      <ProofPanel proof={view.proof} scroll={ui.proofScroll} width={width} height={height} now={now} />
    ) : (
      <NoData data={data} what="proof of use" />
    );
  },
});
