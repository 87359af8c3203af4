/**
 * Stand-ins for the endpoints the reference bot (src/runner) calls, layered on the probe
 * stand-ins of vendors.ts (same auth checks, same echoing failure modes), tests only:
 *  - Polygon: GET /v2/aggs/ticker/{ticker}/range/1/minute/{from}/{to}?sort&limit (Bearer)
 *    → {ticker, status: "OK", resultsCount, results: [{t, o, h, l, c, v, vw, n}]}
 *  - Databento: GET /v0/metadata.get_dataset_range (vendors.ts: per-schema ranges);
 *    GET|POST /v0/timeseries.get_range (query or form body) → JSON lines of ohlcv-1m records
 *    (databento/dbn `encode/json`); an end past the schema's own available end is the
 *    documented 422 {detail: {case: "data_end_after_available_end", payload: {available_end}}};
 *    `limit` caps the records
 *  - OpenAI: POST /v1/chat/completions → {choices: [{message: {content}}], usage}
 *  - Tradovate (/v1): GET /account/list, POST /order/placeorder, GET /fill/deps?masterid,
 *    POST /order/cancelorder {orderId} → {commandId} (a filled or unknown order: {failureReason, failureText})
 *  - Ironbeam (/v2, OpenAPI 2.1): GET /account/getAllAccounts, POST /order/{acct}/place
 *    (exchSym must match the documented Symbol pattern "XCME:ES.Z25", else 400 {status: "ERROR"};
 *    → {status, strategyId, orderId?}: the order id only when it came within the broker's wait),
 *    GET /order/{acct}/toorderid/{strategyId}, GET /order/{acct}/fills (fills carry strategyId),
 *    DELETE /order/{acct}/cancel/{orderId} (operationId cancelOrder, no body) → OrdersResponse
 *    {status, message, orders: [Order]} with the order's OrderStatusType: CANCELLED for a working
 *    order; CANCEL_REJECTED with an orderError {errorCode, errorText} and status "ERROR" for one
 *    that filled or was cancelled already (or with `rejectCancel`); `cancelUnconfirmed`: an OK
 *    reply with an empty list; an unknown order or account is the documented 400
 *    {status: "ERROR", message, error}. Source: the IronbeamAPI 2.1 OpenAPI document as copied in
 *    wboayue/ironbeam-rs `specs/openapi.json` (paths./order/{accountId}/cancel/{orderId},
 *    components.schemas OrdersResponse, Order, OrderStatusType, ErrorResponse400)
 * Bars are a deterministic synthetic series (a gentle uptrend), generated on request.
 */
import { bearerOf, jsonBody, Standin, type Recorded, type Reply, type VendorHandler } from './server.js';
import { databento, ironbeam, openai, polygon, tradovate, type DatabentoOptions, type IronbeamCreds, type TradovateCreds } from './vendors.js';

export interface SynthBar {
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}

/** `n` one-minute bars ending at `endMs` (exclusive), drifting up from `start`. */
export function synthBars(n: number, endMs: number, start = 5000): SynthBar[] {
  const first = Math.floor(endMs / 60_000) * 60_000 - n * 60_000;
  const out: SynthBar[] = [];
  let price = start;
  for (let i = 0; i < n; i++) {
    const o = price;
    const c = +(o + 0.25 + (i % 3 === 0 ? -0.5 : 0.5)).toFixed(2);
    out.push({ t: first + i * 60_000, o, h: Math.max(o, c) + 0.5, l: Math.min(o, c) - 0.25, c, v: 100 + (i % 7) * 10 });
    price = c;
  }
  return out;
}

function unauthorized(s: Standin, r: Recorded): Reply {
  return { status: 401, body: s.echoBody(r, 'unauthorized'), headers: { 'x-echo-authorization': String(r.headers.authorization ?? '') } };
}

/** A stand-in whose handler tries `extra` first and falls back to the probe stand-in's handler. */
function extend(baseStandin: Standin, extra: (r: Recorded, s: Standin) => Reply | undefined): Standin {
  const v = baseStandin.vendor;
  const h: VendorHandler = {
    basePath: v.basePath,
    isLogin: (r) => v.isLogin(r),
    echoed: (r) => v.echoed(r),
    handle: (r, s) => extra(r, s) ?? v.handle(r, s),
    wrongShape: (r) => v.wrongShape(r),
    special: v.special ? (name, r, s) => v.special!(name, r, s) : undefined,
  };
  return new Standin(h);
}

export interface PolygonDataOptions {
  bars?: number;
}

export function polygonData(key: string, opts: PolygonDataOptions = {}): Standin {
  return extend(polygon(key), (r, s) => {
    const m = /^\/v2\/aggs\/ticker\/([^/]+)\/range\/1\/minute\/(\d+)\/(\d+)$/.exec(r.path);
    if (r.method !== 'GET' || !m) return undefined;
    if (bearerOf(r) !== key) return unauthorized(s, r);
    const q = new URLSearchParams(r.query);
    const limit = Number(q.get('limit') ?? 5000);
    const to = Number(m[3]);
    let bars = synthBars(opts.bars ?? 150, to).filter((b) => b.t >= Number(m[2]));
    if (q.get('sort') === 'desc') bars = bars.reverse();
    bars = bars.slice(0, limit);
    return {
      status: 200,
      body: {
        ticker: decodeURIComponent(m[1]),
        queryCount: bars.length,
        resultsCount: bars.length,
        adjusted: true,
        status: 'OK',
        request_id: 'req-standin',
        count: bars.length,
        results: bars.map((b) => ({ ...b, vw: +((b.h + b.l + b.c) / 3).toFixed(4), n: 12 })),
      },
    };
  });
}

export interface DatabentoDataOptions extends DatabentoOptions {
  bars?: number;
  /** end of the ohlcv-1m schema's available range (default: now); the dataset's own end is now */
  availableEnd?: number;
}

/** The records and requests the Databento stand-in saw (form params of each get_range). */
export interface DatabentoSeen {
  ranges: URLSearchParams[];
}

export function databentoData(key: string, opts: DatabentoDataOptions = {}): Standin & DatabentoSeen {
  const auth = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
  const schemaEnd = () => opts.schemaEnd?.() ?? opts.availableEnd ?? Date.now();
  const ranges: URLSearchParams[] = [];
  const st = extend(databento(key, { ...opts, schemaEnd }), (r, s) => {
    if (r.path === '/v0/timeseries.get_range' && (r.method === 'GET' || r.method === 'POST')) {
      if (r.headers.authorization !== auth) return unauthorized(s, r);
      const p = new URLSearchParams(r.method === 'POST' ? r.body : r.query.replace(/^\?/, ''));
      ranges.push(p);
      if (p.get('schema') !== 'ohlcv-1m' || p.get('encoding') !== 'json' || !p.get('dataset') || !p.get('symbols') || !p.get('start'))
        return { status: 422, body: { detail: 'bad request' } };
      const start = Date.parse(p.get('start')!);
      const end = Date.parse(p.get('end') ?? p.get('start')!);
      const available = schemaEnd();
      if (end > available)
        return {
          status: 422,
          body: {
            detail: {
              case: 'data_end_after_available_end',
              message: `The dataset ${p.get('dataset')} has data available up to '${new Date(available).toISOString()}'. The \`end\` in the query ('${p.get('end')}') is after the available range.`,
              status_code: 422,
              docs: 'https://databento.com/docs/api-reference-historical/basics/datasets',
              payload: {
                dataset: p.get('dataset'),
                start: p.get('start'),
                end: p.get('end'),
                available_start: '2010-06-06T00:00:00.000000000Z',
                available_end: new Date(available).toISOString(),
              },
            },
          },
        };
      const limit = p.get('limit') ? Number(p.get('limit')) : Infinity;
      const bars = synthBars(opts.bars ?? 150, end)
        .filter((b) => b.t >= start)
        .slice(0, limit);
      const lines = bars.map((b) =>
        JSON.stringify({
          hd: { ts_event: new Date(b.t).toISOString().replace('Z', '000000Z'), rtype: 33, publisher_id: 1, instrument_id: 4242 },
          open: b.o.toFixed(9),
          high: b.h.toFixed(9),
          low: b.l.toFixed(9),
          close: b.c.toFixed(9),
          volume: String(b.v),
          symbol: 'ESZ5',
        }),
      );
      return { status: 200, raw: lines.join('\n') + (lines.length ? '\n' : ''), headers: { 'content-type': 'application/json' } };
    }
    return undefined;
  });
  return Object.assign(st, { ranges });
}

export function openaiData(key: string, opts: { content?: string } = {}): Standin {
  return extend(openai(key), (r, s) => {
    if (r.method !== 'POST' || r.path !== '/v1/chat/completions') return undefined;
    if (bearerOf(r) !== key) return unauthorized(s, r);
    const b = jsonBody(r);
    if (typeof b.model !== 'string' || !Array.isArray(b.messages)) return { status: 400, body: { error: { message: 'bad request' } } };
    return {
      status: 200,
      body: {
        id: 'chatcmpl-standin',
        object: 'chat.completion',
        model: b.model,
        choices: [{ index: 0, message: { role: 'assistant', content: opts.content ?? 'Trending' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 57, completion_tokens: 2, total_tokens: 59 },
      },
    };
  });
}

export interface PaperBrokerOptions {
  /** report a fill for every order (default true) */
  fill?: boolean;
  /** reject every order */
  reject?: boolean;
  /** Ironbeam: the order id does not arrive within the broker's wait; toorderid gives it after this many asks */
  lateOrderId?: number;
  /** Ironbeam: the place reply comes this late (the broker waiting for the exchange's id) */
  placeDelayMs?: number;
  /** Ironbeam: every cancel is refused (the order filled at the exchange as the cancel arrived) */
  rejectCancel?: boolean;
  /** Ironbeam: the cancel answers {status: "OK"} with an empty `orders` list (schema-valid, names no order) */
  cancelUnconfirmed?: boolean;
}

export interface PaperOrders {
  orders: Array<{ id: string; body: Record<string, unknown> }>;
  /** ids of orders cancelled through the broker's cancel endpoint */
  cancelled: string[];
}

export function tradovatePaper(creds: TradovateCreds, opts: PaperBrokerOptions = {}): Standin & PaperOrders {
  const orders: PaperOrders['orders'] = [];
  const cancelled: string[] = [];
  let next = 900_000;
  const st = extend(tradovate(creds), (r, s) => {
    const authed = () => {
      const t = bearerOf(r);
      return !!t && s.validTokens.has(t);
    };
    if (r.method === 'GET' && r.path === '/v1/account/list') {
      if (!authed()) return unauthorized(s, r);
      return {
        status: 200,
        body: [
          {
            id: 7001,
            name: 'DEMO7001',
            userId: 4242,
            accountType: 'Customer',
            active: true,
            clearingHouseId: 2,
            riskCategoryId: 2,
            autoLiqProfileId: 2,
            marginAccountType: 'Speculator',
            legalStatus: 'Individual',
            archived: false,
            timestamp: new Date().toISOString(),
          },
        ],
      };
    }
    if (r.method === 'POST' && r.path === '/v1/order/placeorder') {
      if (!authed()) return unauthorized(s, r);
      const b = jsonBody(r);
      if (opts.reject) return { status: 200, body: { failureReason: 'RiskCheck', failureText: 'rejected' } };
      if (
        b.accountId !== 7001 ||
        b.accountSpec !== 'DEMO7001' ||
        !['Buy', 'Sell'].includes(String(b.action)) ||
        b.orderType !== 'Market' ||
        b.isAutomated !== true
      )
        return { status: 400, body: { errorText: 'bad order' } };
      const id = String(next++);
      orders.push({ id, body: b });
      return { status: 200, body: { orderId: Number(id) } };
    }
    if (r.method === 'POST' && r.path === '/v1/order/cancelorder') {
      if (!authed()) return unauthorized(s, r);
      const id = String(jsonBody(r).orderId);
      // a filled order (fills on) or an unknown one cannot be cancelled
      if (!orders.some((x) => x.id === id) || opts.fill !== false || cancelled.includes(id))
        return { status: 200, body: { failureReason: 'UnknownReason', failureText: 'order is not working' } };
      cancelled.push(id);
      return { status: 200, body: { commandId: next++ } };
    }
    if (r.method === 'GET' && r.path === '/v1/fill/deps') {
      if (!authed()) return unauthorized(s, r);
      const master = new URLSearchParams(r.query).get('masterid');
      const o = orders.find((x) => x.id === master);
      if (!o || opts.fill === false) return { status: 200, body: [] };
      return {
        status: 200,
        body: [
          {
            id: Number(o.id) + 1,
            orderId: Number(o.id),
            contractId: 3456,
            timestamp: new Date().toISOString(),
            tradeDate: { year: 2025, month: 1, day: 2 },
            action: o.body.action,
            qty: o.body.orderQty,
            price: 5001.25,
            active: true,
            finallyPaired: 0,
          },
        ],
      };
    }
    return undefined;
  });
  return Object.assign(st, { orders, cancelled });
}

export function ironbeamPaper(creds: IronbeamCreds, opts: PaperBrokerOptions = {}): Standin & PaperOrders {
  const orders: Array<PaperOrders['orders'][number] & { strategyId: number; asks: number }> = [];
  const cancelled: string[] = [];
  let next = 1;
  const st = extend(ironbeam(creds), (r, s) => {
    const authed = () => {
      const t = bearerOf(r);
      return !!t && s.validTokens.has(t);
    };
    if (r.method === 'GET' && r.path === '/v2/account/getAllAccounts') {
      if (!authed()) return unauthorized(s, r);
      return { status: 200, body: { status: 'OK', message: 'OK', accounts: ['5123345'] } };
    }
    const place = /^\/v2\/order\/([^/]+)\/place$/.exec(r.path);
    if (r.method === 'POST' && place) {
      if (!authed()) return unauthorized(s, r);
      const b = jsonBody(r);
      if (opts.reject) return { status: 200, body: { status: 'ERROR', message: 'rejected' } };
      // the documented Symbol pattern, exchange prefix included (XCME:ES.Z25)
      if (typeof b.exchSym !== 'string' || !/^[A-Z]{1,10}:[A-Z0-9 _.]{1,120}$/.test(b.exchSym))
        return { status: 400, body: { status: 'ERROR', message: 'Bad Request', error: `Invalid symbol ${String(b.exchSym)}` } };
      if (place[1] !== '5123345' || !['BUY', 'SELL'].includes(String(b.side)) || b.orderType !== '1' || typeof b.quantity !== 'number')
        return { status: 400, body: { status: 'ERROR', message: 'bad order' } };
      const id = `ORD${next++}`;
      const strategyId = 7_000_000 + next;
      orders.push({ id, body: b, strategyId, asks: 0 });
      const delayMs = opts.placeDelayMs;
      if (opts.lateOrderId !== undefined) return { status: 200, body: { status: 'OK', message: 'OK', strategyId }, delayMs };
      return { status: 200, body: { status: 'OK', message: 'OK', orderId: id, strategyId }, delayMs };
    }
    const toOrder = /^\/v2\/order\/([^/]+)\/toorderid\/(\d+)$/.exec(r.path);
    if (r.method === 'GET' && toOrder) {
      if (!authed()) return unauthorized(s, r);
      const o = orders.find((x) => x.strategyId === Number(toOrder[2]));
      if (!o) return { status: 404, body: { status: 'ERROR', message: 'Not Found' } };
      o.asks++;
      if (opts.lateOrderId !== undefined && o.asks < opts.lateOrderId) return { status: 200, body: { status: 'OK', message: 'OK', strategyId: o.strategyId } };
      return { status: 200, body: { status: 'OK', message: 'OK', strategyId: o.strategyId, orderId: o.id } };
    }
    const cancel = /^\/v2\/order\/([^/]+)\/cancel\/([^/]+)$/.exec(r.path);
    if (r.method === 'DELETE' && cancel) {
      if (!authed()) return unauthorized(s, r);
      const id = decodeURIComponent(cancel[2]);
      const o = orders.find((x) => x.id === id);
      if (cancel[1] !== '5123345' || !o) return { status: 400, body: { status: 'ERROR', message: 'Bad Request', error: `Order ${id} not found` } };
      const asOrder = (status: string) => ({
        orderId: o.id,
        strategyId: o.strategyId,
        accountId: '5123345',
        exchSym: o.body.exchSym,
        status,
        side: o.body.side,
        quantity: o.body.quantity,
        orderType: o.body.orderType,
        duration: o.body.duration,
        fillQuantity: opts.fill === false ? 0 : o.body.quantity,
      });
      if (opts.cancelUnconfirmed) return { status: 200, body: { status: 'OK', message: 'OK', orders: [] } };
      // a filled order (fills on), one cancelled before, or the drill's refusal: the cancel is rejected
      if (opts.rejectCancel || opts.fill !== false || cancelled.includes(id))
        return {
          status: 200,
          body: {
            status: 'ERROR',
            message: 'Cancel rejected',
            orders: [{ ...asOrder('CANCEL_REJECTED'), orderError: { errorCode: 2, errorText: 'Too late to cancel' } }],
          },
        };
      cancelled.push(id);
      return { status: 200, body: { status: 'OK', message: 'OK', orders: [asOrder('CANCELLED')] } };
    }
    const fills = /^\/v2\/order\/([^/]+)\/fills$/.exec(r.path);
    if (r.method === 'GET' && fills) {
      if (!authed()) return unauthorized(s, r);
      if (opts.fill === false) return { status: 200, body: { status: 'OK', message: 'OK', fills: [] } };
      return {
        status: 200,
        body: {
          status: 'OK',
          message: 'OK',
          fills: orders.map((o) => ({
            orderId: o.id,
            strategyId: o.strategyId,
            accountId: '5123345',
            exchSym: o.body.exchSym,
            status: 'FILLED',
            side: o.body.side,
            quantity: o.body.quantity,
            fillQuantity: o.body.quantity,
            fillPrice: 5001.25,
            avgFillPrice: 5001.25,
          })),
        },
      };
    }
    return undefined;
  });
  return Object.assign(st, { orders, cancelled });
}
