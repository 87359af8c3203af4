/** Small text helpers shared by the panels. Every dynamic string passes the sanitizer here. */
import { redactString } from '../core/redact.js';
export { ago } from '../cli/output.js';

/** Sanitized, single-line text (control characters would corrupt the screen). */
export function safe(v: unknown): string {
  if (v === null || v === undefined) return '';
  return redactString(String(v)).replace(/[\x00-\x1f\x7f]+/g, ' ');
}

/** "12:03:45" in UTC: short enough for 80 columns, unambiguous next to trace ids (UTC everywhere). */
export function clock(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : d.toISOString().slice(11, 19);
}

export function seconds(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}

/** A configured interval: "300ms", "2s". */
export function interval(ms: number): string {
  return ms < 1000 ? `${ms}ms` : seconds(ms);
}

export function latency(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : `${ms}ms`;
}

/** 1234 → "1.2k", so counts fit narrow columns. */
export function count(n: number): string {
  if (n < 10_000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 100_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export const shortId = (id: string | null | undefined): string => (id ? id.slice(0, 8) : '—');

/** A window of `height` items that keeps `cursor` visible (for scrolling lists). */
export function visibleWindow(total: number, cursor: number, height: number): { start: number; end: number } {
  if (total <= height) return { start: 0, end: total };
  const start = Math.max(0, Math.min(total - height, cursor - Math.floor(height / 2)));
  return { start, end: start + height };
}

export const clamp = (n: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, n));

/** Word-wraps to `width` columns (long words are cut), for fixes and messages that must be read in full. */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(8, width);
  const out: string[] = [];
  let line = '';
  for (const word of safe(text).split(/\s+/).filter(Boolean)) {
    let rest = word;
    while (rest.length > w) {
      if (line) out.push(line);
      line = '';
      out.push(rest.slice(0, w));
      rest = rest.slice(w);
    }
    if (!line) line = rest;
    else if (line.length + 1 + rest.length <= w) line += ` ${rest}`;
    else {
      out.push(line);
      line = rest;
    }
  }
  if (line) out.push(line);
  return out.length ? out : [''];
}

const SPARK: Record<string, string> = { OK: '▁', DEGRADED: '▄', BLOCKED: '█', MAINTENANCE: '▒' };

/** One character per bucket, oldest first: ▁ OK, ▄ DEGRADED, █ BLOCKED, ▒ maintenance, · no probe. */
export function sparkline(cells: ReadonlyArray<string | null> | undefined): string {
  return cells ? cells.map((c) => (c ? (SPARK[c] ?? '?') : '·')).join('') : '';
}
