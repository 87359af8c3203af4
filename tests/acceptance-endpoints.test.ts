/** FINAL_ACCEPTANCE_GATE.md documents every HTTP route: the contracts cover exactly the routes in the daemon's source. */
import { describe, expect, it } from 'vitest';
import { ENDPOINTS, endpointTable, routesInSource } from './acceptance/endpoints.js';
import { ROOT } from './helpers/cli.js';

describe('endpoint contracts', () => {
  it('every route the daemon registers has a contract, and every contract is a route', () => {
    const routes = routesInSource(ROOT).map((r) => `${r.method} ${r.path}`);
    expect(routes.length).toBeGreaterThanOrEqual(14);
    const documented = ENDPOINTS.map((e) => `${e.method} ${e.path}`);
    expect([...documented].sort()).toEqual([...new Set(routes)].sort());
    for (const e of ENDPOINTS) for (const k of ['auth', 'request', 'response', 'errors'] as const) expect(e[k].length, `${e.path} ${k}`).toBeGreaterThan(0);
    expect(endpointTable()).toHaveLength(ENDPOINTS.length + 2);
  });
});
