/**
 * How each key action changes the screen state — a pure reducer, so the key flows are plain
 * functions of state. The app's own keys (help, panels, mode) are handled here; every other
 * action goes to the active panel's key for it (panels/), then to a panel that takes it from
 * everywhere ('b'), then to its usual meaning below (cursor moves, the '/' filter).
 * Side effects (quit, refresh) are App's business; this only says what the screen shows.
 */
import { MODES, type Mode } from '../core/types.js';
import { PANELS, PANEL_IDS, panelById, type PanelId } from './panels/index.js';
import type { BoundKey, ShellEnv } from './panels/panel.js';
import type { Action, KeyContext } from './keymap.js';
import { edited, emptyUi, keyContext, moveCursor, switchPanel, type UiState } from './state.js';
import { openHalt, reduceHalt } from './halt.js';

export type { UiState } from './state.js';
export { keyContext } from './state.js';
export type UiEnv = ShellEnv;

export function initialUi(mode: Mode, panel: PanelId = PANEL_IDS[0]): UiState {
  return emptyUi(mode, panel, PANEL_IDS);
}

const handles = (k: BoundKey, a: Action, ctx: KeyContext) =>
  k.contexts.includes(ctx) && (a.type === 'own' ? k.key === a.input : k.key === null && k.on.includes(a.type));

/** What an action means when the panel gives it no meaning of its own. */
function usual(s: UiState, a: Action, env: ShellEnv): UiState {
  switch (a.type) {
    case 'up':
    case 'down':
      return moveCursor(s, env.listLength, a.type === 'down' ? 1 : -1);
    case 'pageUp':
    case 'pageDown':
      return moveCursor(s, env.listLength, (a.type === 'pageDown' ? 1 : -1) * Math.max(1, env.page));
    case 'open':
      // Enter keeps the filter being typed
      return s.filtering ? { ...s, filtering: false } : s;
    case 'close':
      if (s.filtering || s.filter[s.panel]) return { ...s, filtering: false, filter: { ...s.filter, [s.panel]: '' } };
      return s;
    case 'type':
    case 'erase':
      if (s.filtering) return { ...s, filter: { ...s.filter, [s.panel]: edited(s.filter[s.panel], a) }, cursor: { ...s.cursor, [s.panel]: 0 } };
      return s;
    default:
      return s;
  }
}

export function reduce(s: UiState, a: Action, env: ShellEnv): UiState {
  // the halt dialog takes every key while open; a notice lasts until the next key
  if (s.halt) return reduceHalt(s, a);
  if (a.type === 'halt') return openHalt(s, env);
  if (s.notice) s = { ...s, notice: null };
  switch (a.type) {
    case 'help':
      return { ...s, help: !s.help };
    case 'panel':
      return switchPanel(s, PANEL_IDS[Number(a.input) - 1] ?? s.panel);
    case 'nextPanel':
    case 'prevPanel': {
      const i = PANEL_IDS.indexOf(s.panel) + (a.type === 'nextPanel' ? 1 : -1);
      return switchPanel(s, PANEL_IDS[(i + PANEL_IDS.length) % PANEL_IDS.length]);
    }
    case 'cycleMode':
      return { ...s, mode: MODES[(MODES.indexOf(s.mode) + 1) % MODES.length] };
    case 'quit':
    case 'refresh':
      return s;
  }
  const ctx = keyContext(s);
  if (ctx === 'help') return a.type === 'close' ? { ...s, help: false } : s;
  const mine = panelById(s.panel).keys.find((k) => handles(k, a, ctx));
  if (mine) return mine.run ? mine.run(s, a, env) : usual(s, a, env);
  for (const p of PANELS) {
    const k = p.keys.find((x) => x.everywhere && x.key === null && x.on.includes(a.type));
    if (k?.run) return k.run(switchPanel(s, p.id), a, env);
  }
  return usual(s, a, env);
}
