/**
 * Databento historical API (https://hist.databento.com, DATABENTO_BASE_URL overrides). HTTP
 * basic auth with the API key as user name and an empty password.
 *
 * Probe: `GET /v0/metadata.get_dataset_range?dataset=…` for the configured dataset
 * (DATABENTO_DATASET, default GLBX.MDP3): free, and answered within the key's entitlements, so
 * it proves what the bot needs (list_datasets would prove the key only). The reply carries a
 * range per schema (`schema: {"ohlcv-1m": {start, end}}`); the bot's schema must be there.
 * Status codes (docs "api-historical/basics/errors"): 401 invalid key; 402 "issue with your
 * account payment information" (QUOTA_EXHAUSTED: waiting does not cure it); 403 "the API key has
 * insufficient permissions to perform the request" — the key is valid, what it may read is not
 * enough (ENTITLEMENT_DENIED: the key's permissions or the dataset's licence). Errors are
 * `{"detail": "…"}` or `{"detail": {"case", "message", "status_code", "payload"}}`: only the
 * case (a snake_case word) is read.
 *
 * Bars (runner): the same range call for the ohlcv-1m schema's OWN end (a request past it is a
 * 422 data_end_after_available_end), then `POST /v0/timeseries.get_range` (form body, as the
 * official client sends it: dataset, symbols, schema=ohlcv-1m, stype_in, start, end,
 * encoding=json, pretty_px, pretty_ts, map_symbols, limit). `limit` caps the records so the
 * reply (billed as sent) can never exceed the body limit and be refused after being paid for. The reply is JSON lines, one record per bar: {"hd":{"ts_event","rtype":33,
 * "instrument_id"…},"open","high","low","close","volume","symbol"} — prices as decimal strings
 * (pretty_px) or fixed-point 1e-9 integers, times as ISO (pretty_ts) or nanosecond strings; both
 * are read. A parent symbol (ES.FUT) returns every contract: the most-traded instrument is used.
 */
import { envValue } from './env.js';
import {
  badBody,
  badShape,
  finite,
  isObject,
  isVerdict,
  joinUrl,
  MAX_BODY_BYTES,
  parseJson,
  send,
  vendorRequest,
  verdictOfStatus,
  type Refiner,
} from './http.js';
import type { BarsRequest, BarsResult, OhlcvBar, VendorModule } from './module.js';

export const DEFAULT_DATASET = 'GLBX.MDP3';
/** the schema the reference bot reads */
export const BAR_SCHEMA = 'ohlcv-1m';
/** the most a JSON ohlcv record takes (pretty prices and times, symbol): the record cap is derived from it */
const MAX_RECORD_BYTES = 512;
/** records per request: a reply this long stays under the body limit */
export const MAX_RECORDS = Math.floor(MAX_BODY_BYTES / MAX_RECORD_BYTES);

/** The dataset the probe checks: DATABENTO_DATASET, else the bot's default. */
export const probeDataset = (env: NodeJS.ProcessEnv) => envValue(env, 'DATABENTO_DATASET')?.trim() ?? DEFAULT_DATASET;

const CASE = /^[a-z][a-z0-9_]{1,60}$/;

/** 402: payment; 403: permissions/licence (401 is the key); 422: the documented case, named. */
export const databentoRefine: Refiner = (status, body, host) => {
  const detail = isObject(body) ? body.detail : undefined;
  const kase = isObject(detail) && typeof detail.case === 'string' && CASE.test(detail.case) ? detail.case : undefined;
  if (status === 402)
    return { outcome: 'QUOTA_EXHAUSTED', message: `HTTP 402 from ${host}: a problem with the account's payment information${kase ? ` (${kase})` : ''}` };
  if (status === 403)
    return {
      outcome: 'ENTITLEMENT_DENIED',
      message: `HTTP 403 from ${host}: the API key's permissions or the licence do not cover this request${kase ? ` (${kase})` : ''}`,
    };
  if (status === 422 && kase) return { outcome: 'UPSTREAM_4XX', message: `HTTP 422 from ${host}: ${kase}` };
  return null;
};

/** The available end of one schema in a get_dataset_range reply (ms), or undefined. */
export function schemaEnd(body: unknown, schema: string): number | undefined {
  if (!isObject(body) || !isObject(body.schema)) return undefined;
  const r = body.schema[schema];
  return isObject(r) ? databentoTime(r.end) : undefined;
}
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

const rangeUrl = (baseUrl: string, dataset: string) => {
  const url = joinUrl(baseUrl, '/v0/metadata.get_dataset_range');
  url.searchParams.set('dataset', dataset);
  return url;
};

/** The bar schema's own available end (not the dataset's), never in the future. */
async function availableEnd(baseUrl: string, env: NodeJS.ProcessEnv, req: BarsRequest, dataset: string): Promise<number> {
  const what = 'Databento dataset range';
  const reply = await vendorRequest({
    method: 'GET',
    url: rangeUrl(baseUrl, dataset),
    auth: basicAuth(env),
    refine: databentoRefine,
    what,
    traceId: req.traceId,
    timeoutMs: req.timeoutMs,
    signal: req.signal,
  });
  const end = schemaEnd(parseJson(reply, what), BAR_SCHEMA);
  if (end === undefined) throw badShape(reply, what, `a dataset range with the ${BAR_SCHEMA} schema`);
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
    refine: databentoRefine,
    form: () => ({
      dataset,
      symbols: req.symbol,
      schema: BAR_SCHEMA,
      stype_in: databentoStype(req.symbol),
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      encoding: 'json',
      pretty_px: 'true',
      pretty_ts: 'true',
      map_symbols: 'true',
      limit: String(MAX_RECORDS),
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
  // never more minutes than the record cap allows (a single instrument: one record a minute)
  const minutes = Math.min(req.bars + 5, MAX_RECORDS);
  let records = await getRange(baseUrl, env, req, dataset, end - minutes * 60_000, end);
  // a closed market (weekend, holiday) leaves the recent window empty: look back further once
  if (records.length < Math.min(req.bars, 20)) {
    records = await getRange(baseUrl, env, req, dataset, end - WIDE_WINDOW_MS, end);
    // the cap was hit (many instruments): the oldest part came back; ask for the last day only
    if (records.length >= MAX_RECORDS) records = await getRange(baseUrl, env, req, dataset, end - DAY_MS, end);
  }
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
  fixes: {
    AUTH_REJECTED: 'Check the Databento API key is valid and entitled (DATABENTO_API_KEY)',
    ENTITLEMENT_DENIED:
      "Check, in the Databento portal, the API key's permissions and that the subscription/licence covers the dataset (DATABENTO_DATASET, default GLBX.MDP3) and its ohlcv-1m schema",
    QUOTA_EXHAUSTED: "Databento refused for the account's payment information (HTTP 402): update billing in the Databento portal",
  },
  produces: ['market_data'],
  probe: async (rc, baseUrl) => {
    const dataset = probeDataset(rc.env);
    const reply = await send(rc, { method: 'GET', url: rangeUrl(baseUrl, dataset), auth: basicAuth(rc.env), refine: databentoRefine });
    if (isVerdict(reply)) return reply;
    const byStatus = verdictOfStatus(reply);
    if (byStatus) return byStatus;
    const b = reply.body;
    if (reply.bodyKind !== 'json' || !isObject(b) || databentoTime(b.end) === undefined || !isObject(b.schema))
      return badBody(reply, 'a dataset range with per-schema ranges');
    // entitled to the dataset, but the schema the bot reads is not in the key's range
    if (schemaEnd(b, BAR_SCHEMA) === undefined)
      return { outcome: 'ENTITLEMENT_DENIED', httpStatus: reply.status, message: `${dataset} on ${reply.host} has no ${BAR_SCHEMA} range for this key` };
    return { outcome: 'OK', httpStatus: reply.status };
  },
  client: {
    marketdata: {
      defaultSymbol: 'ES.c.0',
      eventMetadata: ({ dataset }) => ({ endpoint: 'timeseries.get_range', dataset }),
      bars: databentoBars,
    },
  },
  source: import.meta.url,
};
