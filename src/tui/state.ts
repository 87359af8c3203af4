/**
 * The screen's own state (which panel, cursors, drawer, filter, bot search) and the small
 * moves panels build their key handlers from. Pure, and free of the registry, so every panel
 * file can use it; the reducer that dispatches keys to panels is ui.ts.
 */
import type { Mode } from '../core/types.js';
import type { PanelId } from './panels/index.js';
import type { KeyContext } from './keymap.js';

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
  /** '/' filter text per panel (panels with a filter key), and whether it is being typed */
  filter: Record<PanelId, string>;
  filtering: boolean;
  /** the bot selector: open while non-null */
  botSearch: { query: string; cursor: number } | null;
  botId: string | null;
  /** the halt dialog (the TUI's only write action): open while non-null */
  halt: HaltDialog | null;
  /** the last halt's outcome, shown until the next key */
  notice: string | null;
}

/** The halt dialog: the scope (from the selection), the reason typed, then HALT typed to confirm. */
export interface HaltDialog {
  scope: 'global' | 'account' | 'bot' | 'integration';
  target: string;
  step: 'reason' | 'confirm' | 'sending';
  reason: string;
  confirm: string;
  error: string | null;
}

/** The word typed to confirm a halt. */
export const HALT_WORD = 'HALT';

export function emptyUi(mode: Mode, panel: PanelId, panels: readonly PanelId[]): UiState {
  const each = <T>(v: T) => Object.fromEntries(panels.map((id) => [id, v])) as Record<PanelId, T>;
  return {
    panel,
    mode,
    cursor: each(0),
    drawer: null,
    drawerScroll: 0,
    proofScroll: 0,
    help: false,
    filter: each(''),
    filtering: false,
    botSearch: null,
    botId: null,
    halt: null,
    notice: null,
  };
}

/**
 * Where the keyboard focus is, which decides what a key means:
 *  - browse: a panel's list;  drawer: Panel A's detail drawer;
 *  - text: typing into the '/' filter or the bot search (letters are text there);
 *  - help: the '?' overlay.
 */
export function keyContext(s: UiState): KeyContext {
  if (s.help) return 'help';
  if (s.halt || s.filtering || s.botSearch) return 'text';
  if (s.drawer) return 'drawer';
  return 'browse';
}

export const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

/** The active panel's cursor, moved and kept inside its list. */
export function moveCursor(s: UiState, listLength: number, delta: number): UiState {
  const max = Math.max(0, listLength - 1);
  return { ...s, cursor: { ...s.cursor, [s.panel]: clamp(s.cursor[s.panel] + delta, 0, max) } };
}

/** Leaving a panel closes what was open on it (drawer, filter typing, bot search). */
export function switchPanel(s: UiState, panel: PanelId): UiState {
  return { ...s, panel, drawer: null, drawerScroll: 0, filtering: false, botSearch: null };
}

/** Text typed into a filter or search: a character more, or one fewer. */
export function edited(text: string, a: { type: string; input: string }): string {
  return a.type === 'type' ? text + a.input : text.slice(0, -1);
}
