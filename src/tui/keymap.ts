/**
 * The one key registry: App dispatches keys through `resolveKey` and HelpOverlay draws its
 * rows from `BINDINGS`, so a key cannot exist without help text or be documented but dead
 * (the k9s model: internal/view/help.go reads the same action table the view binds).
 *
 * Read-only by design: no binding changes anything outside this process.
 */
import type { Key } from 'ink';

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
  | 'type';

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
  /** as the help overlay shows them */
  keys: string;
  help: string;
  group: HelpGroup;
  contexts: readonly KeyContext[];
  matches(input: string, key: Key, context: KeyContext): boolean;
}

export interface Action {
  type: ActionType;
  /** the key's text: the panel digit for 'panel', the typed characters for 'type' */
  input: string;
}

const ALL: readonly KeyContext[] = ['browse', 'drawer', 'text', 'help'];
const NOT_TEXT: readonly KeyContext[] = ['browse', 'drawer', 'help'];
const LISTS: readonly KeyContext[] = ['browse', 'drawer'];
/** arrows move in lists and in the bot search's result list too */
const MOVES: readonly KeyContext[] = ['browse', 'drawer', 'text'];

const plain = (key: Key) => !key.ctrl && !key.meta;

export const BINDINGS: readonly Binding[] = [
  { type: 'panel', keys: '1-4', help: 'panels A · B · C · D', group: 'Panels', contexts: LISTS, matches: (i, k) => plain(k) && /^[1-4]$/.test(i) },
  { type: 'nextPanel', keys: 'Tab', help: 'next panel', group: 'Panels', contexts: LISTS, matches: (_i, k) => k.tab && !k.shift },
  { type: 'prevPanel', keys: 'Shift-Tab', help: 'previous panel', group: 'Panels', contexts: LISTS, matches: (_i, k) => k.tab && k.shift },
  // j/k are letters while typing; arrows move everywhere
  { type: 'up', keys: '↑ k', help: 'move up', group: 'Move', contexts: MOVES, matches: (i, k, c) => k.upArrow || (c !== 'text' && plain(k) && i === 'k') },
  { type: 'down', keys: '↓ j', help: 'move down', group: 'Move', contexts: MOVES, matches: (i, k, c) => k.downArrow || (c !== 'text' && plain(k) && i === 'j') },
  { type: 'pageUp', keys: 'PgUp', help: 'page up', group: 'Move', contexts: LISTS, matches: (_i, k) => k.pageUp },
  { type: 'pageDown', keys: 'PgDn', help: 'page down', group: 'Move', contexts: LISTS, matches: (_i, k) => k.pageDown },
  { type: 'open', keys: 'Enter', help: 'open drawer / choose bot', group: 'Move', contexts: ['browse', 'text'], matches: (_i, k) => k.return },
  { type: 'close', keys: 'Esc', help: 'close drawer/filter/help', group: 'Move', contexts: ALL, matches: (_i, k) => k.escape },
  { type: 'filter', keys: '/', help: 'filter (A, C) · search (B)', group: 'Data', contexts: LISTS, matches: (i, k) => plain(k) && i === '/' },
  { type: 'pickBot', keys: 'b', help: 'pick a bot by name or id', group: 'Data', contexts: LISTS, matches: (i, k) => plain(k) && i === 'b' },
  { type: 'cycleMode', keys: 'm', help: 'mode: live → paper → shadow', group: 'Data', contexts: LISTS, matches: (i, k) => plain(k) && i === 'm' },
  { type: 'refresh', keys: 'r', help: 'refresh now', group: 'Data', contexts: LISTS, matches: (i, k) => plain(k) && i === 'r' },
  { type: 'help', keys: '?', help: 'this help', group: 'App', contexts: NOT_TEXT, matches: (i, k) => plain(k) && i === '?' },
  // Ctrl-C quits from everywhere; 'q' too, except while typing, where it is a letter
  { type: 'quit', keys: 'q Ctrl-C', help: 'quit', group: 'App', contexts: ALL, matches: (i, k, c) => (k.ctrl && i === 'c') || (c !== 'text' && plain(k) && i === 'q') },
  { type: 'erase', keys: 'Backspace', help: 'delete a typed character', group: 'Data', contexts: ['text'], matches: (_i, k) => k.backspace || k.delete },
];

/** Bindings as the help overlay lists them: one row per distinct keys+help, in registry order. */
export function helpRows(): Array<{ group: HelpGroup; keys: string; help: string }> {
  const seen = new Set<string>();
  const rows: Array<{ group: HelpGroup; keys: string; help: string }> = [];
  for (const b of BINDINGS) {
    const id = `${b.keys}|${b.help}`;
    if (seen.has(id)) continue;
    seen.add(id);
    rows.push({ group: b.group, keys: b.keys, help: b.help });
  }
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

/** What a key means in a context; in text fields an unbound printable key is text. */
export function resolveKey(input: string, key: Key, context: KeyContext): Action | undefined {
  const b = BINDINGS.find((x) => x.contexts.includes(context) && x.matches(input, key, context));
  if (b) return { type: b.type, input };
  if (context === 'text' && plain(key) && input && !/[\x00-\x1f\x7f]/.test(input)) return { type: 'type', input };
  return undefined;
}
