/**
 * Databento historical API (https://hist.databento.com, DATABENTO_BASE_URL overrides). HTTP
 * basic auth with the API key as user name and an empty password.
 *
 * Probe: `GET /v0/metadata.list_datasets` returns a JSON array of dataset ids.
 *
 * Bars (runner): `GET /v0/metadata.get_dataset_range?dataset=…` for the end of the available
 * range, then `POST /v0/timeseries.get_range` (form body, as the official client sends it:
 * dataset, symbols, schema=ohlcv-1m, stype_in, start, end, encoding=json, pretty_px, pretty_ts,
 * map_symbols). The reply is JSON lines, one record per bar: {"hd":{"ts_event","rtype":33,
 * "instrument_id"…},"open","high","low","close","volume","symbol"} — prices as decimal strings
 * (pretty_px) or fixed-point 1e-9 integers, times as ISO (pretty_ts) or nanosecond strings; both
 * are read. A parent symbol (ES.FUT) returns every contract: the most-traded instrument is used.
 */
import { envValue } from './env.js';
import { badShape, finite, httpProbe, isObject, joinUrl, parseJson, vendorRequest } from './http.js';
import type { BarsRequest, BarsResult, OhlcvBar, VendorModule } from './module.js';

export const DEFAULT_DATASET = 'GLBX.MDP3';
/** Databento: i64::MAX marks an undefined price */
const UNDEF_PRICE = '9223372036854775807';
const DAY_MS = 86_400_000;
/** a window this long reaches back over a weekend or a holiday */
const WIDE_WINDOW_MS = 4 * DAY_MS;

const basicAuth = (env: NodeJS.ProcessEnv) => () => ({
  authorization: `Basic ${Buffer.from(`${envValue(env, 'DATABENTO_API_KEY') ?? ''}:`).toString('base64')}`,
});

/** The symbology a Databento symbol is written in. */
export function databentoStype(symbol: string): 'parent' | 'continuous' | 'raw_symbol' {
  if (/^[A-Za-z0-9]+\.(FUT|OPT|SPOT|MLEG)$/.test(symbol)) return 'parent';
  if (/^[A-Za-z0-9]+\.[cnv]\.\d+$/.test(symbol)) return 'continuous';
  return 'raw_symbol';
}

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
  bar: OhlcvBar;
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

async function databentoBars(baseUrl: string, env: NodeJS.ProcessEnv, req: BarsRequest): Promise<BarsResult> {
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
  return { bars: mine.map((r) => r.bar), instrument, endpoint: 'timeseries.get_range' };
}

export const databento: VendorModule = {
  name: 'databento',
  label: 'Databento',
  kind: 'marketdata',
  description: 'Databento historical market data (HTTP API, basic auth with the key as user name)',
  envVars: ['DATABENTO_API_KEY'],
  // basic auth with the key as user name and an empty password
  credentialPairs: [['DATABENTO_API_KEY', null]],
  http: { envPrefix: 'DATABENTO', baseUrl: 'https://hist.databento.com', statusPage: 'https://status.databento.com' },
  fixes: { AUTH_REJECTED: 'Check the Databento API key is valid and entitled (DATABENTO_API_KEY)' },
  produces: ['market_data'],
  probe: (rc, baseUrl) =>
    httpProbe(
      rc,
      { method: 'GET', url: joinUrl(baseUrl, '/v0/metadata.list_datasets'), auth: basicAuth(rc.env) },
      'a JSON array of dataset ids',
      (body) => Array.isArray(body) && body.every((d) => typeof d === 'string'),
    ),
  client: {
    marketdata: {
      defaultSymbol: 'ES.c.0',
      eventMetadata: ({ dataset }) => ({ endpoint: 'timeseries.get_range', dataset }),
      bars: databentoBars,
    },
  },
  source: import.meta.url,
};
