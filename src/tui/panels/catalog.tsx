/**
 * Panel C: the variable catalog (catalogView), grouped by source, with availability taken from
 * the same status read as Panel A so the two never disagree on one screen. '/' filters.
 */
import { catalogView, type CatalogView } from '../../core/views.js';
import type { Status } from '../../core/types.js';
import { CatalogPanel, catalogRows } from '../CatalogPanel.js';
import { NoData } from '../NoData.js';
import { definePanel, type Panel } from './panel.js';
import { FILTER_KEY } from './filter.js';

export type CatalogData = CatalogView;

export const catalog: Panel<'catalog'> = definePanel<'catalog', CatalogData>({
  id: 'catalog',
  title: 'Catalog',
  subject: 'the variable catalog',
  keys: [FILTER_KEY],
  load({ pool, status }) {
    const statusByName: Record<string, Status> = Object.fromEntries(status.integrations.map((i) => [i.name, i.status]));
    return catalogView(pool, statusByName);
  },
  // availability was derived for the mode read: another mode's must not be shown under this one's label
  carry: (view, prev, next) => (next.mode !== prev.mode ? null : view),
  listLength: ({ view, ui, now }) => (view ? catalogRows(view, ui.filter.catalog, now, false).length : 0),
  render: ({ data, view, ui, width, height, now }) =>
    view ? (
      <CatalogPanel
        rows={catalogRows(view, ui.filter.catalog, now, width >= 130)}
        cursor={ui.cursor.catalog}
        width={width}
        height={height}
        filter={ui.filter.catalog}
      />
    ) : (
      <NoData data={data} what="the variable catalog" />
    ),
});
