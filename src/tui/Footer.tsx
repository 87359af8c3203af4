/**
 * The bottom line: what the keys do right now, named by the key map (keymap.hintParts) from the
 * active panel's keys and the global bindings — the filter being typed, a panel's open sub-view
 * (drawer, bot selector), or the panel's hints. All keys: '?'.
 */
import { Text } from 'ink';
import { keyContext, type UiState } from './state.js';
import { APP_HINTS, browseHints, hintLine, type Hint } from './keymap.js';
import { panelById } from './panels/index.js';
import { safe } from './format.js';

const HELP_OPEN: readonly Hint[] = [{ on: ['help', 'close'], label: 'close help', join: ' or ' }, ...APP_HINTS];
const FILTER_TYPING: readonly Hint[] = [
  { on: ['open'], label: 'keep' },
  { on: ['close'], label: 'clear' },
];
const FILTER_KEPT: readonly Hint[] = [
  { on: ['filter'], label: 'edit' },
  { on: ['close'], label: 'clear' },
  { on: ['help'], label: 'keys' },
];

/** What the footer says now: a prefix (the filter), the hints, and whether it is dimmed (a filter is shown at full strength). */
export function footerSpec(ui: UiState): { prefix: string; hints: readonly Hint[]; dim: boolean } {
  if (keyContext(ui) === 'help') return { prefix: '', hints: HELP_OPEN, dim: true };
  const filter = ui.filter[ui.panel];
  if (ui.filtering) return { prefix: `/${safe(filter)}█  `, hints: FILTER_TYPING, dim: false };
  const open = panelById(ui.panel).footer(ui);
  if (open) return { prefix: '', hints: [...open, ...APP_HINTS], dim: true };
  if (filter) return { prefix: `filter "${safe(filter)}" · `, hints: FILTER_KEPT, dim: false };
  return { prefix: '', hints: browseHints(ui.panel), dim: true };
}

export function footerLine(ui: UiState): { text: string; dim: boolean } {
  if (ui.halt) return { text: 'halt dialog: type · Enter next/confirm · Esc cancel (nothing written)', dim: false };
  if (ui.notice) return { text: safe(ui.notice), dim: false };
  const { prefix, hints, dim } = footerSpec(ui);
  return { text: prefix + hintLine(hints, keyContext(ui), ui.panel), dim };
}

export function Footer({ ui }: { ui: UiState }) {
  const { text, dim } = footerLine(ui);
  return (
    <Text dimColor={dim} wrap="truncate-end">
      {text}
    </Text>
  );
}
