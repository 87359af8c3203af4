/**
 * The one key registry: the global bindings here plus each panel's own keys (panels/). App
 * dispatches keys through `resolveKey`, HelpOverlay draws its rows from `helpRows`, and the
 * footer and tab bar name keys through `hintParts` — which asks the bindings which key does
 * what in the current context — so a key cannot exist without help text, be documented but
 * dead, or be hinted with a key that does something else (the k9s model: the help and the
 * hints read the same action table the view binds).
 *
 * Read-only by design, with one exception that says so: H opens the halt dialog (a typed reason
 * and a typed confirmation before anything is written) — the kill switch.
 */
import type { Key } from 'ink';
import { PANELS, PANEL_IDS, panelById, panelLetter, type PanelId } from './panels/index.js';

export type ActionType =
  | 'quit'
  | 'help'
  | 'panel'
  | 'nextPanel'
  | 'prevPanel'
  | 'up'
  | 'down'
  | 'pageUp'
  | 'pageDown'
  | 'open'
  | 'close'
  | 'filter'
  | 'pickBot'
  | 'cycleMode'
  | 'refresh'
  | 'erase'
  | 'type'
  /** open the halt dialog (the only write action) */
  | 'halt'
  /** a key of the active panel's own (panels/panel.ts OwnKey) */
  | 'own';

/**
 * Where the keyboard focus is, which decides what a key means:
 *  - browse: a panel's list;  drawer: Panel A's detail drawer;
 *  - text: typing into the '/' filter or the bot search (letters are text there);
 *  - help: the '?' overlay.
 */
export type KeyContext = 'browse' | 'drawer' | 'text' | 'help';

export type HelpGroup = 'Panels' | 'Move' | 'Data' | 'App';

export interface Binding {
  type: ActionType;
  /** each key as help and hints name it, the usual one first ('↑' before 'k') */
  keys: readonly string[];
  help: string;
  group: HelpGroup;
  contexts: readonly KeyContext[];
  matches(input: string, key: Key, context: KeyContext): boolean;
}

export interface Action {
  type: ActionType;
  /** the key's text: the panel digit for 'panel', the typed characters for 'type', the own key */
  input: string;
}

const ALL: readonly KeyContext[] = ['browse', 'drawer', 'text', 'help'];
const NOT_TEXT: readonly KeyContext[] = ['browse', 'drawer', 'help'];
const LISTS: readonly KeyContext[] = ['browse', 'drawer'];
/** arrows move in lists and in the bot search's result list too */
const MOVES: readonly KeyContext[] = ['browse', 'drawer', 'text'];

const plain = (key: Key) => !key.ctrl && !key.meta;

/** What panels say a global key means on them, grouped: [["filter", ["A","C"]], ["search", ["B"]]]. */
function meanings(type: ActionType): Array<[string, string[]]> {
  const byHelp = new Map<string, string[]>();
  for (const p of PANELS)
    for (const k of p.keys)
      if (k.key === null && k.help && k.on.includes(type)) {
        const letters = byHelp.get(k.help) ?? [];
        if (!letters.includes(panelLetter(p.id))) letters.push(panelLetter(p.id));
        byHelp.set(k.help, letters);
      }
  return [...byHelp];
}

const n = PANELS.length;
const digit = (i: string) => /^[1-9]$/.test(i) && Number(i) <= n;

export const BINDINGS: readonly Binding[] = [
  {
    type: 'panel',
    keys: [`1-${n}`],
    help: `panels ${PANEL_IDS.map(panelLetter).join(' · ')}`,
    group: 'Panels',
    contexts: LISTS,
    matches: (i, k) => plain(k) && digit(i),
  },
  { type: 'nextPanel', keys: ['Tab'], help: 'next panel', group: 'Panels', contexts: LISTS, matches: (_i, k) => k.tab && !k.shift },
  { type: 'prevPanel', keys: ['Shift-Tab'], help: 'previous panel', group: 'Panels', contexts: LISTS, matches: (_i, k) => k.tab && k.shift },
  // j/k are letters while typing; arrows move everywhere
  { type: 'up', keys: ['↑', 'k'], help: 'move up', group: 'Move', contexts: MOVES, matches: (i, k, c) => k.upArrow || (c !== 'text' && plain(k) && i === 'k') },
  {
    type: 'down',
    keys: ['↓', 'j'],
    help: 'move down',
    group: 'Move',
    contexts: MOVES,
    matches: (i, k, c) => k.downArrow || (c !== 'text' && plain(k) && i === 'j'),
  },
  { type: 'pageUp', keys: ['PgUp'], help: 'page up', group: 'Move', contexts: LISTS, matches: (_i, k) => k.pageUp },
  { type: 'pageDown', keys: ['PgDn'], help: 'page down', group: 'Move', contexts: LISTS, matches: (_i, k) => k.pageDown },
  {
    type: 'open',
    keys: ['Enter'],
    help:
      meanings('open')
        .map(([h]) => h)
        .join(' / ') || 'open',
    group: 'Move',
    contexts: ['browse', 'text'],
    matches: (_i, k) => k.return,
  },
  { type: 'close', keys: ['Esc'], help: 'close drawer/filter/help', group: 'Move', contexts: ALL, matches: (_i, k) => k.escape },
  {
    type: 'filter',
    keys: ['/'],
    help:
      meanings('filter')
        .map(([h, at]) => `${h} (${at.join(', ')})`)
        .join(' · ') || 'filter',
    group: 'Data',
    contexts: LISTS,
    matches: (i, k) => plain(k) && i === '/',
  },
  { type: 'pickBot', keys: ['b'], help: 'pick a bot by name or id', group: 'Data', contexts: LISTS, matches: (i, k) => plain(k) && i === 'b' },
  { type: 'cycleMode', keys: ['m'], help: 'mode: live → paper → shadow', group: 'Data', contexts: LISTS, matches: (i, k) => plain(k) && i === 'm' },
  { type: 'refresh', keys: ['r'], help: 'refresh now', group: 'Data', contexts: LISTS, matches: (i, k) => plain(k) && i === 'r' },
  { type: 'help', keys: ['?'], help: 'this help', group: 'App', contexts: NOT_TEXT, matches: (i, k) => plain(k) && i === '?' },
  // the kill switch: scope from the selection (bot in B, integration in A, else global), a typed reason, HALT typed to confirm
  {
    type: 'halt',
    keys: ['H'],
    help: 'halt: the only write action',
    group: 'App',
    contexts: LISTS,
    matches: (i, k) => !k.ctrl && !k.meta && i === 'H',
  },
  // Ctrl-C quits from everywhere; 'q' too, except while typing, where it is a letter
  {
    type: 'quit',
    keys: ['q', 'Ctrl-C'],
    help: 'quit',
    group: 'App',
    contexts: ALL,
    matches: (i, k, c) => (k.ctrl && i === 'c') || (c !== 'text' && plain(k) && i === 'q'),
  },
  { type: 'erase', keys: ['Backspace'], help: 'delete a typed character', group: 'Data', contexts: ['text'], matches: (_i, k) => k.backspace || k.delete },
];

export interface HelpRow {
  group: HelpGroup;
  keys: string;
  help: string;
}

/** What the help overlay lists: every global binding, then each panel's own keys (with its letter). */
export function helpRows(): HelpRow[] {
  const seen = new Set<string>();
  const rows: HelpRow[] = [];
  const add = (r: HelpRow) => {
    const id = `${r.keys}|${r.help}`;
    if (seen.has(id)) return;
    seen.add(id);
    rows.push(r);
  };
  for (const b of BINDINGS) add({ group: b.group, keys: b.keys.join(' '), help: b.help });
  for (const p of PANELS) for (const k of p.keys) if (k.key !== null) add({ group: k.group ?? 'Data', keys: k.key, help: `${k.help} (${panelLetter(p.id)})` });
  return rows;
}

/**
 * One read from the terminal can hold several keys — a held key, a fast typist, a paste, tmux
 * send-keys — and Ink hands them over as one input. Split plain runs (no escape sequences) into
 * single keys, so `jjjj` moves four rows and two Backspaces erase two characters.
 */
export function splitKeys(input: string, key: Key): Array<[string, Key]> {
  if (input.length <= 1 || input.includes('\u001b') || key.ctrl || key.meta) return [[input, key]];
  const none: Key = { ...key, return: false, tab: false, backspace: false, delete: false, escape: false };
  return Array.from(input, (ch): [string, Key] => {
    if (ch === '\x7f' || ch === '\b') return ['', { ...none, backspace: true }];
    if (ch === '\r' || ch === '\n') return ['', { ...none, return: true }];
    if (ch === '\t') return ['', { ...none, tab: true }];
    return [ch, none];
  });
}

/** What a key means in a context on a panel: a global binding, else the panel's own key; in text fields an unbound printable key is text. */
export function resolveKey(input: string, key: Key, context: KeyContext, panel: PanelId): Action | undefined {
  const b = BINDINGS.find((x) => x.contexts.includes(context) && x.matches(input, key, context));
  if (b) return { type: b.type, input };
  if (plain(key) && panelById(panel).keys.some((k) => k.key === input && k.contexts.includes(context))) return { type: 'own', input };
  if (context === 'text' && plain(key) && input && !/[\x00-\x1f\x7f]/.test(input)) return { type: 'type', input };
  return undefined;
}

// ─── naming keys: the help's names, turned back into key presses ─────────────────────────────

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

const NAMED: Record<string, Partial<Key>> = {
  '↑': { upArrow: true },
  '↓': { downArrow: true },
  PgUp: { pageUp: true },
  PgDn: { pageDown: true },
  Enter: { return: true },
  Esc: { escape: true },
  Tab: { tab: true },
  'Shift-Tab': { tab: true, shift: true },
  Backspace: { backspace: true },
};

/** The presses a key name stands for ('1-4' is four); [] for a name this table does not know. */
export function pressesOf(name: string): Array<[string, Key]> {
  const range = /^(\d)-(\d)$/.exec(name);
  if (range) return Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => [String(Number(range[1]) + i), NO_KEY]);
  if (name === 'Ctrl-C') return [['c', { ...NO_KEY, ctrl: true }]];
  if (NAMED[name]) return [['', { ...NO_KEY, ...NAMED[name] }]];
  if ([...name].length === 1) return [[name, NO_KEY]];
  return [];
}

// ─── hints: the footer's and the tab bar's short key lines ────────────────────────────────────

/**
 * A hint names actions and says what they do; which keys it shows is asked of the bindings in
 * the current context (the first key of each action that does it there).
 */
export type Hint =
  | {
      on: readonly ActionType[];
      label: string;
      /** show the letter keys (j/k), not the arrows */ letters?: boolean;
      /** between the keys (default '/') */ join?: string;
    }
  | { key: string; label: string }
  | { phrase: string };

export interface HintPart {
  text: string;
  /** the key names shown, each of which does one of `on` in the context */
  keys: string[];
  on: readonly ActionType[];
}

/** The global actions the footer names on every panel: where to move, then the data keys, then the app's. */
export const MOVE_HINT: Hint = { on: ['up', 'down'], label: 'move' };
export const DATA_HINTS: readonly Hint[] = [
  { on: ['cycleMode'], label: 'mode' },
  { on: ['refresh'], label: 'refresh' },
];
export const APP_HINTS: readonly Hint[] = [
  { on: ['help'], label: 'keys' },
  { on: ['quit'], label: 'quit' },
];

function keyFor(type: ActionType, context: KeyContext, panel: PanelId, letters: boolean): string | null {
  const b = BINDINGS.find((x) => x.type === type);
  if (!b) return null;
  const works = (name: string) => {
    const presses = pressesOf(name);
    return presses.length > 0 && presses.every(([i, k]) => resolveKey(i, k, context, panel)?.type === type);
  };
  return b.keys.find((name) => (!letters || /^[a-z]$/.test(name)) && works(name)) ?? null;
}

const ARROWS = /^[←↑→↓]$/;

/**
 * The hints as shown in a context: actions not bound there are left out, and so is a hint
 * whose actions an earlier one already named (so a panel's word for ↑↓ replaces "move").
 */
export function hintParts(hints: readonly Hint[], context: KeyContext, panel: PanelId): HintPart[] {
  const named = new Set<ActionType>();
  const out: HintPart[] = [];
  for (const h of hints) {
    if ('phrase' in h) {
      out.push({ text: h.phrase, keys: [], on: [] });
      continue;
    }
    if ('key' in h) {
      if (resolveKey(h.key, NO_KEY, context, panel)?.type === 'own') out.push({ text: `${h.key} ${h.label}`, keys: [h.key], on: ['own'] });
      continue;
    }
    if (h.on.every((a) => named.has(a))) continue;
    const keys = h.on.map((a) => keyFor(a, context, panel, Boolean(h.letters)));
    if (keys.some((k) => k === null)) continue;
    const shown = keys as string[];
    h.on.forEach((a) => named.add(a));
    const join = shown.every((k) => ARROWS.test(k)) ? '' : (h.join ?? '/');
    out.push({ text: `${shown.join(join)} ${h.label}`, keys: shown, on: h.on });
  }
  return out;
}

export const hintLine = (hints: readonly Hint[], context: KeyContext, panel: PanelId): string =>
  hintParts(hints, context, panel)
    .map((p) => p.text)
    .join(' · ');

const sameActions = (a: readonly ActionType[], b: readonly ActionType[]) => a.length === b.length && a.every((x) => b.includes(x));

/** A panel's hints when browsing its list: move (or the panel's word for it), its own keys, then the global ones. */
export function browseHints(panel: PanelId): Hint[] {
  const own: Hint[] = panelById(panel)
    .keys.filter((k) => k.label && k.contexts.includes('browse'))
    .map((k) => (k.key !== null ? { key: k.key, label: k.label! } : { on: k.on, label: k.label! }));
  const renamed = (g: Hint) => 'on' in g && own.some((o) => 'on' in o && sameActions(o.on, g.on));
  return [...[MOVE_HINT].filter((g) => !renamed(g)), ...own, ...[...DATA_HINTS, ...APP_HINTS].filter((g) => !renamed(g))];
}
