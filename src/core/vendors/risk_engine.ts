/**
 * The platform's risk limits (`risk_limits` in the config file), checked for real on every
 * probe: present, every required limit a sane number, per-symbol cap within the total cap.
 * Messages name fields, never values. With `risk_limits.endpoint` set, the platform's risk
 * engine is also asked over HTTP (GET, 2xx JSON expected). The runner sizes its orders against
 * the same check (src/runner/risk.ts → checkRiskLimits).
 */
import type * as Z from 'zod';
import { lazySchema } from '../lazy-zod.js';
import { httpProbe } from './http.js';
import type { VendorModule } from './module.js';

/** field → what it must be (the message wording). */
export const RISK_FIELDS = {
  max_contracts: 'positive integer',
  max_daily_loss: 'positive number',
  max_drawdown_pct: 'number >0 and ≤100',
  max_position_per_symbol: 'positive integer',
  endpoint: 'http(s) URL',
} as const;

/** Built on first use: the registry loads this module on every command, zod only when limits are checked (lazy-zod.ts). */
export const riskLimitsSchema = lazySchema((z) =>
  z
    .object({
      max_contracts: z.number().int().positive(),
      max_daily_loss: z.number().positive(),
      max_drawdown_pct: z.number().gt(0).lte(100),
      max_position_per_symbol: z.number().int().positive(),
      endpoint: z
        .string()
        .refine((s) => /^https?:\/\//i.test(s) && URL.canParse(s))
        .optional(),
    })
    .loose(),
);

export type RiskLimits = Z.infer<ReturnType<typeof riskLimitsSchema>>;

export const RISK_NOT_CONFIGURED = 'risk limits not configured (risk_limits in the config file)';

/** Validates the limits; when invalid, a message naming the bad fields (never their values). */
export function checkRiskLimits(limits: Record<string, unknown> | undefined): { ok: true; limits: RiskLimits } | { ok: false; message: string } {
  if (limits === undefined || limits === null || typeof limits !== 'object' || Array.isArray(limits) || Object.keys(limits).length === 0)
    return { ok: false, message: RISK_NOT_CONFIGURED };
  const parsed = riskLimitsSchema().safeParse(limits);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? '(root)')))];
    const parts = fields.map((f) => {
      const want = (RISK_FIELDS as Record<string, string>)[f] ?? 'invalid';
      return f in limits ? `${f} (${want})` : `${f} (missing; ${want})`;
    });
    return { ok: false, message: `risk_limits invalid: ${parts.join('; ')}` };
  }
  if (parsed.data.max_position_per_symbol > parsed.data.max_contracts)
    return { ok: false, message: 'risk_limits invalid: max_position_per_symbol exceeds max_contracts' };
  return { ok: true, limits: parsed.data };
}

export const riskEngine: VendorModule = {
  name: 'risk_engine',
  label: 'risk engine',
  kind: 'risk',
  description: "Self-check of the platform's configured risk limits (config file `risk_limits`)",
  envVars: [],
  requiredFor: ['live', 'paper'],
  // invalid limits are deterministic, not a blip: block on the first failed check
  timing: { failuresBeforeBlocked: 1 },
  configHint: 'the config file',
  fixes: {
    CHECK_FAILED: 'Fix `risk_limits` in the config file (OBSERVATORY_CONFIG); `observatory probe risk_engine` names the failing limit',
  },
  produces: ['risk'],
  async probe(rc) {
    const checked = checkRiskLimits(rc.riskLimits);
    if (!checked.ok) return { outcome: 'CHECK_FAILED', message: checked.message };
    const endpoint = checked.limits.endpoint;
    if (!endpoint) return { outcome: 'OK' };
    const v = await httpProbe(rc, { method: 'GET', url: new URL(endpoint) }, 'a JSON document', () => true);
    if (v.outcome === 'OK') return v;
    return { ...v, message: `risk engine endpoint: ${v.message ?? v.outcome}` };
  },
  source: import.meta.url,
};
