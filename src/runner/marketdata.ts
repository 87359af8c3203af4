/**
 * 1-minute bars from the market-data vendors, each through its documented HTTP API:
 *
 *  - Databento historical: `GET /v0/metadata.get_dataset_range?dataset=…` for the end of the
 *    available range, then `POST /v0/timeseries.get_range` (form body, as the official client
 *    sends it: dataset, symbols, schema=ohlcv-1m, stype_in, start, end, encoding=json,
 *    pretty_px, pretty_ts, map_symbols). HTTP basic auth, the key as user name, empty password.
 *    The reply is JSON lines, one record per bar: {"hd":{"ts_event","rtype":33,"instrument_id"…},
 *    "open","high","low","close","volume","symbol"} — prices as decimal strings (pretty_px) or
 *    fixed-point 1e-9 integers, times as ISO (pretty_ts) or nanosecond strings; both are read.
 *    A parent symbol (ES.FUT) returns every contract: the most-traded instrument is used.
 *  - Polygon: `GET /v2/aggs/ticker/{ticker}/range/1/minute/{from}/{to}?adjusted=true&sort=desc
 *    &limit=N` with `Authorization: Bearer KEY` (never the apiKey query parameter) →
 *    {status, results: [{t, o, h, l, c, v, vw, n}]}; newest first, reversed here.
 */
import { envValue } from '../core/vendors/probes/http.js';
import { type Bar, normalizeBars } from './features.js';
import { badShape, finite, isObject, joinUrl, parseJson, vendorRequest, VendorError } from './http.js';

export interface BarsRequest {
  symbol: string;
  /** how many of the latest bars are wanted */
  bars: number;
  traceId: string;
  timeoutMs: number;
  signal?: AbortSignal;
  now?: () => number;
  /** Databento dataset; default GLBX.MDP3 */
  dataset?: string;
}

export interface BarsResult {
  bars: Bar[];
  /** the vendor's own instrument symbol when it names one (Databento map_symbols: "ESZ5") */
  instrument: string | null;
  /** the vendor endpoint, for the event metadata */
  endpoint: string;
}

export const DEFAULT_DATASET = 'GLBX.MDP3';
/** Databento: i64::MAX marks an undefined price */
const UNDEF_PRICE = '9223372036854775807';
const DAY_MS = 86_400_000;
/** a window this long reaches back over a weekend or a holiday */
const WIDE_WINDOW_MS = 4 * DAY_MS;

// ───────────────────────────────────────────── Polygon

export async function polygonBars(baseUrl: string, env: NodeJS.ProcessEnv, req: BarsRequest): Promise<BarsResult> {
  const what = 'Polygon aggregates';
  const now = (req.now ?? Date.now)();
  const url = joinUrl(baseUrl, `/v2/aggs/ticker/${encodeURIComponent(req.symbol)}/range/1/minute/${now - WIDE_WINDOW_MS}/${now}`);
  url.searchParams.set('adjusted', 'true');
  url.searchParams.set('sort', 'desc');
  url.searchParams.set('limit', String(req.bars));
  const reply = await vendorRequest({
    method: 'GET',
    url,
    auth: () => ({ authorization: `Bearer ${envValue(env, 'POLYGON_API_KEY') ?? ''}` }),
    what,
    traceId: req.traceId,
    timeoutMs: req.timeoutMs,
    signal: req.signal,
  });
  const body = parseJson(reply, what);
  if (!isObject(body) || body.status === 'ERROR' || (body.results !== undefined && !Array.isArray(body.results)))
    throw badShape(reply, what, 'an aggregates reply');
  const raw = (body.results as unknown[] | undefined) ?? [];
  const bars: Bar[] = [];
  for (const r of raw) {
    if (!isObject(r)) throw badShape(reply, what, 'a list of bars');
    const [t, o, h, l, c, v] = [r.t, r.o, r.h, r.l, r.c, r.v].map(finite);
    if (t === undefined || o === undefined || h === undefined || l === undefined || c === undefined || v === undefined) continue;
    bars.push({ t, open: o, high: h, low: l, close: c, volume: v });
  }
  return { bars: normalizeBars(bars).slice(-req.bars), instrument: null, endpoint: 'v2/aggs' };
}

// ───────────────────────────────────────────── Databento

/** The symbology a Databento symbol is written in. */
export function databentoStype(symbol: string): 'parent' | 'continuous' | 'raw_symbol' {
  if (/^[A-Za-z0-9]+\.(FUT|OPT|SPOT|MLEG)$/.test(symbol)) return 'parent';
  if (/^[A-Za-z0-9]+\.[cnv]\.\d+$/.test(symbol)) return 'continuous';
  return 'raw_symbol';
}

const basicAuth = (env: NodeJS.ProcessEnv) => () => ({
  authorization: `Basic ${Buffer.from(`${envValue(env, 'DATABENTO_API_KEY') ?? ''}:`).toString('base64')}`,
});

/** A Databento price: decimal string (pretty_px), fixed-point 1e-9 integer string, or number. */
export function databentoPrice(v: unknown): number | undefined {
  if (typeof v === 'string') {
    if (v === UNDEF_PRICE) return undefined;
    if (v.includes('.')) return finite(v);
    const n = finite(v);
    return n === undefined ? undefined : n / 1e9;
  }
  return finite(v);
}

/** A Databento timestamp: ISO with nanoseconds (pretty_ts) or nanoseconds since the epoch → ms. */
export function databentoTime(v: unknown): number | undefined {
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return Number(BigInt(v) / 1_000_000n);
  if (typeof v === 'number' && Number.isFinite(v)) return Math.floor(v / 1e6);
  if (typeof v === 'string') {
    // JS dates take at most millisecond precision
    const iso = v.replace(/(\.\d{3})\d+/, '$1');
    const t = Date.parse(iso);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

async function availableEnd(baseUrl: string, env: NodeJS.ProcessEnv, req: BarsRequest, dataset: string): Promise<number> {
  const what = 'Databento dataset range';
  const url = joinUrl(baseUrl, '/v0/metadata.get_dataset_range');
  url.searchParams.set('dataset', dataset);
  const reply = await vendorRequest({ method: 'GET', url, auth: basicAuth(env), what, traceId: req.traceId, timeoutMs: req.timeoutMs, signal: req.signal });
  const body = parseJson(reply, what);
  const end = isObject(body) ? databentoTime(body.end) : undefined;
  if (end === undefined) throw badShape(reply, what, 'a dataset range');
  return Math.min(end, (req.now ?? Date.now)());
}

interface DbRecord {
  instrument: number;
  symbol: string | null;
  bar: Bar;
}

function parseLines(text: string, reply: { status: number; host: string; text: string }, what: string): DbRecord[] {
  const out: DbRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw badShape(reply, what, 'JSON lines');
    }
    if (!isObject(rec) || !isObject(rec.hd)) throw badShape(reply, what, 'ohlcv records');
    // rtype 0x21 = OHLCV-1m; anything else (a different schema, a stray record) is not a bar
    if (rec.hd.rtype !== undefined && rec.hd.rtype !== 33) continue;
    const t = databentoTime(rec.hd.ts_event);
    const [o, h, l, c] = [rec.open, rec.high, rec.low, rec.close].map(databentoPrice);
    const v = finite(rec.volume);
    if (t === undefined || o === undefined || h === undefined || l === undefined || c === undefined || v === undefined) continue;
    out.push({
      instrument: finite(rec.hd.instrument_id) ?? 0,
      symbol: typeof rec.symbol === 'string' && /^[A-Za-z0-9._:/ -]{1,40}$/.test(rec.symbol) ? rec.symbol : null,
      bar: { t, open: o, high: h, low: l, close: c, volume: v },
    });
  }
  return out;
}

async function getRange(baseUrl: string, env: NodeJS.ProcessEnv, req: BarsRequest, dataset: string, start: number, end: number): Promise<DbRecord[]> {
  const what = 'Databento timeseries.get_range';
  const reply = await vendorRequest({
    method: 'POST',
    url: joinUrl(baseUrl, '/v0/timeseries.get_range'),
    auth: basicAuth(env),
    form: () => ({
      dataset,
      symbols: req.symbol,
      schema: 'ohlcv-1m',
      stype_in: databentoStype(req.symbol),
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      encoding: 'json',
      pretty_px: 'true',
      pretty_ts: 'true',
      map_symbols: 'true',
    }),
    what,
    traceId: req.traceId,
    timeoutMs: req.timeoutMs,
    signal: req.signal,
  });
  return parseLines(reply.text, reply, what);
}

export async function databentoBars(baseUrl: string, env: NodeJS.ProcessEnv, req: BarsRequest): Promise<BarsResult> {
  const dataset = req.dataset ?? DEFAULT_DATASET;
  const end = await availableEnd(baseUrl, env, req, dataset);
  let records = await getRange(baseUrl, env, req, dataset, end - (req.bars + 5) * 60_000, end);
  // a closed market (weekend, holiday) leaves the recent window empty: look back further once
  if (records.length < Math.min(req.bars, 20)) records = await getRange(baseUrl, env, req, dataset, end - WIDE_WINDOW_MS, end);
  // a parent or continuous request can return several instruments: keep the most traded
  const volumeBy = new Map<number, number>();
  for (const r of records) volumeBy.set(r.instrument, (volumeBy.get(r.instrument) ?? 0) + r.bar.volume);
  const best = [...volumeBy.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const mine = records.filter((r) => r.instrument === best);
  const instrument = mine.find((r) => r.symbol)?.symbol ?? null;
  return { bars: normalizeBars(mine.map((r) => r.bar)).slice(-req.bars), instrument, endpoint: 'timeseries.get_range' };
}

export function isVendorError(e: unknown): e is VendorError {
  return e instanceof VendorError;
}
