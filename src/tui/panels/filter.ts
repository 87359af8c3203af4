/**
 * The '/' filter, for panels whose list can be narrowed: list FILTER_KEY among the panel's
 * keys and match rows with matchesWords. Typing, Backspace, Enter (keep) and Esc (clear) on
 * the filter are the shell's (ui.ts), the same on every panel that has one.
 */
import type { ActionKey } from './panel.js';

export const FILTER_KEY: ActionKey<unknown> = {
  on: ['filter'],
  label: 'filter',
  help: 'filter',
  contexts: ['browse', 'drawer'],
  run: (s) => ({ ...s, drawer: null, filtering: true }),
};

/** Every word of the filter appears somewhere in the row's text (case-insensitive). */
export function matchesWords(hay: string, filter: string): boolean {
  const text = hay.toLowerCase();
  return filter
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => text.includes(w));
}
