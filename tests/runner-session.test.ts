/** The reference bot's market time (src/runner/session.ts): front month, session bars, session markers. */
import { describe, expect, it } from 'vitest';
import { sessionBars, sessionMarkersAt, tradedSymbol } from '../src/runner/session.js';
import { computeFeatures, type Bar } from '../src/runner/features.js';

const t = (iso: string) => Date.parse(iso);
const bar = (iso: string, close: number, volume = 10): Bar => ({ t: t(iso), open: close, high: close + 1, low: close - 1, close, volume });

describe('runner session', () => {
  it('a CME root trades its front month (rolled eight days before expiry); other defaults stay', () => {
    expect(tradedSymbol('ES.c.0', t('2025-12-01T15:00:00Z'))).toBe('ESZ5');
    expect(tradedSymbol('ES.c.0', t('2025-12-11T15:00:00Z'))).toBe('ESH6'); // roll date Thu 2025-12-11
    expect(tradedSymbol('SPY', t('2025-12-01T15:00:00Z'))).toBe('SPY');
  });

  it('features reset at the calendar session open, not at a guessed gap', () => {
    // Tuesday's last bars (trade date 12-02) and Wednesday's session from 17:00 CT: the break is exactly 1 h
    const bars = [
      bar('2025-12-02T21:58:00Z', 100, 1000),
      bar('2025-12-02T21:59:00Z', 100, 1000),
      bar('2025-12-02T23:00:00Z', 200),
      bar('2025-12-02T23:01:00Z', 200),
    ];
    const kept = sessionBars(bars, 'ESZ5');
    expect(kept.map((b) => b.t)).toEqual([t('2025-12-02T23:00:00Z'), t('2025-12-02T23:01:00Z')]);
    expect(computeFeatures(kept)!.values.vwap).toBeCloseTo(200, 6);
    // bars of a symbol of no known group are kept as they are
    expect(sessionBars(bars, 'SPY')).toHaveLength(4);
  });

  it('session markers from the calendar: open with minutes to the close, break, holiday', () => {
    expect(sessionMarkersAt('ESZ5', t('2025-12-03T21:30:00Z'))).toEqual({
      keys: ['md.session_open', 'md.session_phase', 'md.minutes_to_close'],
      values: { session_open: true, session_phase: 'open', minutes_to_close: 30 },
    });
    expect(sessionMarkersAt('ESZ5', t('2025-12-03T22:30:00Z'))?.values).toEqual({ session_open: false, session_phase: 'break', minutes_to_close: null });
    expect(sessionMarkersAt('ESZ5', t('2025-12-25T18:00:00Z'))?.values.session_phase).toBe('closed');
    expect(sessionMarkersAt('SPY', t('2025-12-25T18:00:00Z'))).toBeNull();
  });
});
