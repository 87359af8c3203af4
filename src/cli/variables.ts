/** `observatory variables`: Panel C — the variable catalog, availability and last use. No values, ever. */
import Table from 'cli-table3';
import type { CommandContext } from './context.js';
import { openReadStore } from './context.js';
import { registryFor } from './registry.js';
import { variablesView } from '../core/views.js';
import { VARIABLE_GROUPS } from '../core/views.js';
import { UsageError } from '../core/errors.js';
import { ago, badge, colorEnabled, makeChalk, printJson, printLine } from './output.js';

export async function run(ctx: CommandContext, opts: { json?: boolean; group?: string }): Promise<number> {
  const group = opts.group?.toLowerCase();
  // a typo must not read as "no variables": name the groups there are
  if (group !== undefined && !(VARIABLE_GROUPS as readonly string[]).includes(group))
    throw new UsageError(`--group: unknown group '${opts.group}'`, `one of ${VARIABLE_GROUPS.join(', ')}`);
  const registry = registryFor(ctx.config);
  const store = await openReadStore(ctx);
  try {
    const view = await variablesView(store.pool, registry, ctx.config);
    const vars = group ? view.variables.filter((v) => v.group === group) : view.variables;
    if (opts.json) return (printJson({ ...view, variables: vars }), 0);
    const c = await makeChalk(colorEnabled(ctx.globals));
    const t = new Table({
      head: ['Variable', 'Type', 'Group', 'Sources', 'Availability', 'Last seen', 'Definition'],
      style: { head: [], border: [] },
      wordWrap: true,
    });
    for (const v of vars)
      t.push([
        v.name,
        v.type,
        v.group,
        v.sources.join(', '),
        v.availability_reason ? `${badge(c, v.availability)} ${v.availability_reason}` : badge(c, v.availability),
        v.last_seen_at ? `${ago(v.last_seen_at)}${v.last_seen_simulated ? ' (simulated)' : ''}` : 'never',
        v.definition,
      ]);
    printLine(t.toString());
    if (view.uncatalogued.length)
      printLine(
        `bots also reported ${view.uncatalogued.length} uncatalogued feature key(s): ${view.uncatalogued
          .map((u) => u.name)
          .slice(0, 20)
          .join(', ')}`,
      );
    return 0;
  } finally {
    await store.close();
  }
}
