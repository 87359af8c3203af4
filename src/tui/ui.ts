/**
 * The screen's own state (which panel, cursors, drawer, filter, bot search) and how each
 * key action changes it — a pure reducer, so the key flows are plain functions of state.
 * Side effects (quit, refresh) are App's business; this only says what the screen shows.
 */
import { MODES, type Mode } from '../core/types.js';
import { PANELS, type BotChoice, type PanelId } from './controller.js';
import type { Action, KeyContext } from './keymap.js';

export interface UiState {
  panel: PanelId;
  mode: Mode;
  cursor: Record<PanelId, number>;
  /** integration whose drawer is open (Panel A) */
  drawer: string | null;
  drawerScroll: number;
  /** Panel B's detail scroll (PgUp/PgDn) */
  proofScroll: number;
  help: boolean;
  /** '/' filter text per filterable panel, and whether it is being typed */
  filter: { integrations: string; catalog: string };
  filtering: boolean;
  /** the bot selector: open while non-null */
  botSearch: { query: string; cursor: number } | null;
  botId: string | null;
}

export function initialUi(mode: Mode, panel: PanelId = 'integrations'): UiState {
  return {
    panel,
    mode,
    cursor: { integrations: 0, proof: 0, catalog: 0, gate: 0 },
    drawer: null,
    drawerScroll: 0,
    proofScroll: 0,
    help: false,
    filter: { integrations: '', catalog: '' },
    filtering: false,
    botSearch: null,
    botId: null,
  };
}

/** What the reducer needs to know about the data on screen. */
export interface UiEnv {
  /** rows in the active panel's list (after filtering) */
  listLength: number;
  /** integration names in Panel A's visible order */
  integrationNames: string[];
  /** Panel B's top bots in order */
  topBots: BotChoice[];
  /** the bot selector's current candidates */
  botChoices: BotChoice[];
  drawerLines: number;
  /** lines a page moves */
  page: number;
}

export function keyContext(s: UiState): KeyContext {
  if (s.help) return 'help';
  if (s.filtering || s.botSearch) return 'text';
  if (s.drawer) return 'drawer';
  return 'browse';
}

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

function withCursor(s: UiState, env: UiEnv, delta: number): UiState {
  if (s.panel === 'proof') {
    const top = env.topBots;
    if (!top.length) return { ...s, proofScroll: 0 };
    const at = top.findIndex((b) => b.bot_id === s.botId);
    const next = clamp((at < 0 ? (delta > 0 ? -1 : 0) : at) + delta, 0, top.length - 1);
    return { ...s, cursor: { ...s.cursor, proof: next }, botId: top[next].bot_id, proofScroll: 0 };
  }
  const max = Math.max(0, env.listLength - 1);
  return { ...s, cursor: { ...s.cursor, [s.panel]: clamp(s.cursor[s.panel] + delta, 0, max) } };
}

function switchPanel(s: UiState, panel: PanelId): UiState {
  return { ...s, panel, drawer: null, drawerScroll: 0, filtering: false, botSearch: null };
}

function filterable(p: PanelId): p is 'integrations' | 'catalog' {
  return p === 'integrations' || p === 'catalog';
}

export function reduce(s: UiState, a: Action, env: UiEnv): UiState {
  const ctx = keyContext(s);
  switch (a.type) {
    case 'help':
      return { ...s, help: !s.help };
    case 'close':
      if (s.help) return { ...s, help: false };
      if (s.botSearch) return { ...s, botSearch: null };
      if (s.filtering && filterable(s.panel)) return { ...s, filtering: false, filter: { ...s.filter, [s.panel]: '' } };
      if (s.drawer) return { ...s, drawer: null, drawerScroll: 0 };
      if (filterable(s.panel) && s.filter[s.panel]) return { ...s, filter: { ...s.filter, [s.panel]: '' } };
      return s;
    case 'panel':
      return switchPanel(s, PANELS[Number(a.input) - 1] ?? s.panel);
    case 'nextPanel':
    case 'prevPanel': {
      const i = PANELS.indexOf(s.panel) + (a.type === 'nextPanel' ? 1 : -1);
      return switchPanel(s, PANELS[(i + PANELS.length) % PANELS.length]);
    }
    case 'up':
    case 'down': {
      const d = a.type === 'down' ? 1 : -1;
      if (s.botSearch) return { ...s, botSearch: { ...s.botSearch, cursor: clamp(s.botSearch.cursor + d, 0, Math.max(0, env.botChoices.length - 1)) } };
      if (ctx === 'drawer') return { ...s, drawerScroll: clamp(s.drawerScroll + d, 0, Math.max(0, env.drawerLines - 1)) };
      return withCursor(s, env, d);
    }
    case 'pageUp':
    case 'pageDown': {
      const d = (a.type === 'pageDown' ? 1 : -1) * Math.max(1, env.page);
      if (ctx === 'drawer') return { ...s, drawerScroll: clamp(s.drawerScroll + d, 0, Math.max(0, env.drawerLines - 1)) };
      if (s.panel === 'proof') return { ...s, proofScroll: Math.max(0, s.proofScroll + d) };
      return withCursor(s, env, d);
    }
    case 'open':
      if (s.botSearch) {
        const pick = env.botChoices[s.botSearch.cursor];
        if (!pick) return s;
        const at = env.topBots.findIndex((b) => b.bot_id === pick.bot_id);
        return { ...s, botSearch: null, botId: pick.bot_id, proofScroll: 0, cursor: { ...s.cursor, proof: Math.max(0, at) } };
      }
      if (s.filtering) return { ...s, filtering: false };
      if (s.panel === 'integrations') {
        const name = env.integrationNames[s.cursor.integrations];
        return name ? { ...s, drawer: name, drawerScroll: 0 } : s;
      }
      return s;
    case 'filter':
      if (s.panel === 'proof') return { ...s, botSearch: { query: '', cursor: 0 } };
      if (!filterable(s.panel)) return s;
      return { ...s, drawer: null, filtering: true };
    case 'pickBot':
      return { ...switchPanel(s, 'proof'), botSearch: { query: '', cursor: 0 } };
    case 'cycleMode':
      return { ...s, mode: MODES[(MODES.indexOf(s.mode) + 1) % MODES.length] };
    case 'type':
    case 'erase': {
      const edit = (t: string) => (a.type === 'type' ? t + a.input : t.slice(0, -1));
      if (s.botSearch) return { ...s, botSearch: { query: edit(s.botSearch.query), cursor: 0 } };
      if (s.filtering && filterable(s.panel)) return { ...s, filter: { ...s.filter, [s.panel]: edit(s.filter[s.panel]) }, cursor: { ...s.cursor, [s.panel]: 0 } };
      return s;
    }
    case 'quit':
    case 'refresh':
      return s;
  }
}
