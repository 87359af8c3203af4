/**
 * The panel registry: the panels in tab order. Number keys, Tab, the tab bar, the footer, the
 * '?' overlay, the body and the controller's reads all follow this list, so adding a panel is
 * its own file under panels/ (see panel.ts) plus one line here.
 *
 * One line per panel, import included: a dynamic import awaited at the top level keeps a
 * panel's module and its place in the tab order on the same line.
 */
import type { Panel } from './panel.js';

export const PANELS = [
  (await import('./integrations.js')).integrations,
  (await import('./proof.js')).proof,
  (await import('./catalog.js')).catalog,
  (await import('./gate.js')).gate,
] as const;

export type PanelId = (typeof PANELS)[number]['id'];

export const PANEL_IDS: readonly PanelId[] = PANELS.map((p) => p.id);

export function panelById(id: PanelId): Panel<PanelId> {
  const p = PANELS.find((x) => x.id === id);
  if (!p) throw new Error(`no TUI panel "${id}"`);
  return p;
}

/** The panel's letter (A, B, …), as the help overlay names panels. */
export const panelLetter = (id: PanelId): string => String.fromCharCode(65 + PANEL_IDS.indexOf(id));

/** "4 Gate": the panel as its tab names it (number key, title). */
export const tabName = (id: PanelId): string => `${PANEL_IDS.indexOf(id) + 1} ${panelById(id).title}`;
