/**
 * The key registry (src/tui/keymap.ts) and the footer that reads it (src/tui/Footer.tsx):
 * every key the help names does what it says, panels' own keys clash with nothing, and every
 * key a footer hint shows does the hinted action in that context, on that panel. Pure.
 */
import { describe, expect, it } from 'vitest';
import { BINDINGS, helpRows, hintParts, pressesOf, resolveKey, type KeyContext } from '../src/tui/keymap.js';
import { PANELS, PANEL_IDS, panelLetter, type PanelId } from '../src/tui/panels/index.js';
import { footerLine, footerSpec } from '../src/tui/Footer.js';
import { initialUi, keyContext, type UiState } from '../src/tui/ui.js';

const CONTEXTS: KeyContext[] = ['browse', 'drawer', 'text', 'help'];

describe('bindings', () => {
  it('every key the help names does its binding: each name somewhere, and in each of its contexts one of them', () => {
    for (const b of BINDINGS) {
      for (const name of b.keys) {
        expect(pressesOf(name).length, `${b.type}: "${name}" is a key name`).toBeGreaterThan(0);
        const works = b.contexts.some((c) => PANEL_IDS.every((p) => pressesOf(name).every(([i, k]) => resolveKey(i, k, c, p)?.type === b.type)));
        expect(works, `${b.type}: "${name}"`).toBe(true);
      }
      for (const c of b.contexts) {
        const some = b.keys.some((name) => pressesOf(name).every(([i, k]) => resolveKey(i, k, c, PANEL_IDS[0])?.type === b.type));
        expect(some, `${b.type} in ${c}`).toBe(true);
      }
    }
  });

  it('no two bindings share a key in a context', () => {
    for (const c of CONTEXTS)
      for (const b of BINDINGS.filter((x) => x.contexts.includes(c)))
        for (const name of b.keys)
          for (const [i, k] of pressesOf(name)) {
            const others = BINDINGS.filter((x) => x !== b && x.contexts.includes(c) && x.matches(i, k, c));
            expect(
              others.map((o) => o.type),
              `${name} in ${c}`,
            ).toEqual([]);
          }
  });

  it('panel keys: own keys are single characters no global binding uses, unique per panel; every entry is reachable', () => {
    for (const p of PANELS) {
      const own = p.keys.filter((k) => k.key !== null);
      expect(new Set(own.map((k) => k.key)).size, p.id).toBe(own.length);
      for (const k of own) {
        expect([...k.key!].length).toBe(1);
        for (const c of k.contexts) expect(resolveKey(k.key!, pressesOf(k.key!)[0][1], c, p.id)?.type, `${p.id} '${k.key}' in ${c}`).toBe('own');
        // and only on its own panel
        for (const other of PANEL_IDS.filter((id) => id !== p.id)) expect(resolveKey(k.key!, pressesOf(k.key!)[0][1], 'browse', other)?.type).not.toBe('own');
      }
      for (const k of p.keys.filter((x) => x.key === null))
        for (const a of k.on)
          expect(
            BINDINGS.some((b) => b.type === a || a === 'type'),
            `${p.id}: ${a} has a binding`,
          ).toBe(true);
    }
  });

  it('the help lists every binding and every panel key of its own, once; panel meanings of shared keys come from the panels', () => {
    const rows = helpRows();
    for (const b of BINDINGS) expect(rows).toContainEqual({ group: b.group, keys: b.keys.join(' '), help: b.help });
    for (const p of PANELS)
      for (const k of p.keys.filter((x) => x.key !== null))
        expect(rows.some((r) => r.keys === k.key && r.help === `${k.help} (${panelLetter(p.id)})`)).toBe(true);
    expect(new Set(rows.map((r) => `${r.keys}|${r.help}`)).size).toBe(rows.length);
    const byType = (t: string) => BINDINGS.find((b) => b.type === t)!;
    expect(byType('panel')).toMatchObject({ keys: [`1-${PANELS.length}`], help: `panels ${PANEL_IDS.map(panelLetter).join(' · ')}` });
    expect(byType('filter').help).toBe('filter (A, C) · search (B)');
    expect(byType('open').help).toBe('open drawer / choose bot');
  });
});

/** Every footer state a panel can be in (reachable or not, the hints must not lie in any). */
function states(panel: PanelId): UiState[] {
  const s = initialUi('paper', panel);
  return [
    s,
    { ...s, help: true },
    { ...s, filtering: true, filter: { ...s.filter, [panel]: 'po' } },
    { ...s, filter: { ...s.filter, [panel]: 'po' } },
    { ...s, drawer: 'polygon' },
    { ...s, drawer: 'polygon', filter: { ...s.filter, [panel]: 'po' } },
    { ...s, botSearch: { query: 'al', cursor: 0 } },
  ];
}

describe('footer hints are the bindings', () => {
  it('every key a hint shows does the hinted action in that context, on that panel', () => {
    for (const p of PANEL_IDS)
      for (const ui of states(p)) {
        const ctx = keyContext(ui);
        const parts = hintParts(footerSpec(ui).hints, ctx, p);
        expect(parts.length, `${p} ${ctx}`).toBeGreaterThan(0);
        for (const part of parts)
          for (const name of part.keys)
            for (const [i, k] of pressesOf(name)) expect(part.on, `${p} ${ctx}: "${name}" in "${part.text}"`).toContain(resolveKey(i, k, ctx, p)?.type);
      }
  });

  it("each panel's labelled keys are in its footer, in the panel's order, with the global ones after", () => {
    for (const p of PANELS) {
      const line = footerLine(initialUi('paper', p.id)).text;
      const labels = p.keys.filter((k) => k.label && k.contexts.includes('browse')).map((k) => ` ${k.label}`);
      const at = labels.map((l) => line.indexOf(l));
      expect(
        at.every((i) => i >= 0),
        `${p.id}: ${line}`,
      ).toBe(true);
      expect([...at].sort((a, b) => a - b)).toEqual(at);
      expect(line.endsWith('m mode · r refresh · ? keys · q quit'), line).toBe(true);
    }
  });

  it('the footers read as before the registry', () => {
    const at = (panel: PanelId, over: Partial<UiState> = {}) => footerLine({ ...initialUi('paper', panel), ...over }).text;
    expect(at('integrations')).toBe('↑↓ move · Enter events & probes · / filter · m mode · r refresh · ? keys · q quit');
    expect(at('proof')).toBe('↑↓ bot · b search bots · PgUp/PgDn details · m mode · r refresh · ? keys · q quit');
    expect(at('catalog')).toBe('↑↓ move · / filter · m mode · r refresh · ? keys · q quit');
    expect(at('gate')).toBe('↑↓ blocker · m mode · r refresh · ? keys · q quit');
    expect(at('gate', { help: true })).toBe('? or Esc close help · q quit');
    expect(at('proof', { botSearch: { query: '', cursor: 0 } })).toBe('typing searches bots · Enter select · Esc cancel · Ctrl-C quit');
    expect(at('integrations', { drawer: 'polygon' })).toBe('j/k scroll · Esc close drawer · ? keys · q quit');
    expect(at('catalog', { filtering: true, filter: { ...initialUi('paper').filter, catalog: 'md' } })).toBe('/md█  Enter keep · Esc clear');
    expect(at('catalog', { filter: { ...initialUi('paper').filter, catalog: 'md' } })).toBe('filter "md" · / edit · Esc clear · ? keys');
    // an open drawer names Esc as closing it (Esc closes the drawer first, the kept filter after)
    expect(at('integrations', { drawer: 'polygon', filter: { ...initialUi('paper').filter, integrations: 'po' } })).toBe(
      'j/k scroll · Esc close drawer · ? keys · q quit',
    );
  });
});
