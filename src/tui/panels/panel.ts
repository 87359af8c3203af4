/**
 * What a panel is: its tab, its own key actions, what it reads and how it draws — one file
 * under panels/ each, listed once in panels/index.ts. The controller, the tab bar, the
 * footer, the body, the key map and the '?' overlay all read panels through this contract,
 * so none of them names a panel (the k9s model: a view is one file plus a line in the
 * registrar, and its key hints come from its own actions).
 *
 * A panel's data type V stays inside its file: definePanel pairs its load with its render
 * and key handlers, and the registry sees only the erased Panel.
 */
import { createElement, type ReactElement } from 'react';
import type pg from 'pg';
import type { SystemStatusView } from '../../core/views.js';
import type { Config } from '../../core/config.js';
import type { Registry } from '../../core/types.js';
import type { TuiData, ViewRequest } from '../controller.js';
import type { Action, ActionType, HelpGroup, Hint, KeyContext } from '../keymap.js';
import type { UiState } from '../state.js';

/** What a panel reads from, when it computes what it shows. */
export interface PanelInput<V> {
  data: TuiData;
  /** this panel's own read (its load's result); null until the first read for this request */
  view: V | null;
  ui: UiState;
  now: number;
  width: number;
}

export interface PanelProps<V> extends PanelInput<V> {
  /** the shared read (header, banners, gate): never null here — the body shows UNKNOWN instead */
  status: SystemStatusView;
  height: number;
}

/** What a key handler may consult besides the screen state. */
export interface KeyEnv<V> {
  data: TuiData;
  view: V | null;
  /** rows in the active panel's list as shown (after filtering) */
  listLength: number;
  /** lines a page moves */
  page: number;
}

export type KeyRun<V> = (s: UiState, a: Action, env: KeyEnv<V>) => UiState;

interface KeyCommon<V> {
  /** the footer's word for it on this panel; omitted: not in the footer */
  label?: string;
  /** key contexts where this entry applies (default: browse) */
  contexts?: readonly KeyContext[];
  /** the new screen state; omitted: the key's usual meaning (the label alone renames it) */
  run?: KeyRun<V>;
}

/** A key of the global key map, given this panel's meaning ('Enter' opens Panel A's drawer). */
export interface ActionKey<V> extends KeyCommon<V> {
  on: readonly ActionType[];
  /** the overlay's words for what the key does here (e.g. '/': "filter", "search") */
  help?: string;
  /** works from every panel, switching to this one first ('b' picks a bot from anywhere) */
  everywhere?: boolean;
}

/** A key of the panel's own: one plain character no global binding uses. */
export interface OwnKey<V> extends KeyCommon<V> {
  key: string;
  help: string;
  group?: HelpGroup;
  run: KeyRun<V>;
}

export type PanelKey<V> = ActionKey<V> | OwnKey<V>;

/** What a panel's load may use: the store, what the screen asks for, and the shared status read. */
export interface LoadContext {
  pool: pg.Pool;
  request: ViewRequest;
  status: SystemStatusView;
  /** what the shared status read was judged with (a panel with its own verdict uses the same) */
  registry: Registry;
  config: Config;
}

export interface PanelDef<Id extends string, V> {
  id: Id;
  title: string;
  /** the tab's title on narrow terminals */
  shortTitle?: string;
  /** what the panel shows, as "UNKNOWN — <subject> not shown" names it */
  subject: string;
  keys: readonly PanelKey<V>[];
  /** its own reads through the core views (the status read is shared and done before); none: omit */
  load?(ctx: LoadContext): Promise<V>;
  /** what of a read still answers a changed request (default: all of it; null: none) */
  carry?(view: V, prev: ViewRequest, next: ViewRequest): V | null;
  /** rows the cursor moves over, as shown */
  listLength(input: PanelInput<V>): number;
  /** the screen state as this panel shows it, before keys and drawing (Panel B: the bot shown) */
  settle?(ui: UiState, view: V | null): UiState;
  /** the footer of a sub-view this panel has open (drawer, selector); undefined: the usual hints */
  footer?(ui: UiState): readonly Hint[] | undefined;
  render(props: PanelProps<V>): ReactElement;
}

/** A panel key as the registry holds it: contexts filled in, handler bound to the panel's data. */
export interface BoundKey {
  on: readonly ActionType[];
  /** the own key's character, or null for a key of the global map */
  key: string | null;
  label?: string;
  help?: string;
  group?: HelpGroup;
  contexts: readonly KeyContext[];
  everywhere: boolean;
  run?: (s: UiState, a: Action, env: ShellEnv) => UiState;
}

/** What the shell (App, the reducer) passes around: the active panel's view is looked up by each panel. */
export interface ShellEnv {
  data: TuiData;
  listLength: number;
  page: number;
}

export interface ShellProps {
  data: TuiData;
  status: SystemStatusView;
  ui: UiState;
  width: number;
  height: number;
  now: number;
}

export interface Panel<Id extends string = string> {
  id: Id;
  title: string;
  shortTitle: string;
  subject: string;
  keys: readonly BoundKey[];
  /** undefined: the panel reads nothing of its own */
  load?: (ctx: LoadContext) => Promise<unknown>;
  carry(view: unknown, prev: ViewRequest, next: ViewRequest): unknown | null;
  listLength(input: { data: TuiData; ui: UiState; now: number; width: number }): number;
  settle(ui: UiState, data: TuiData): UiState;
  footer(ui: UiState): readonly Hint[] | undefined;
  /** a component (hooks allowed) */
  render: (props: ShellProps) => ReactElement;
}

const BROWSE: readonly KeyContext[] = ['browse'];

export function definePanel<Id extends string, V>(def: PanelDef<Id, V>): Panel<Id> {
  // the one place a view is read back: only this panel's load wrote data.panelData[id]
  const viewOf = (data: TuiData): V | null => ((data.panelData as Record<string, unknown>)[def.id] as V | undefined) ?? null;
  const Render = def.render;
  const render = (p: ShellProps): ReactElement => createElement(Render, { ...p, view: viewOf(p.data) });
  // named after the panel in React's tree
  Object.defineProperty(render, 'name', { value: `Panel(${def.id})` });
  return {
    id: def.id,
    title: def.title,
    shortTitle: def.shortTitle ?? def.title,
    subject: def.subject,
    keys: def.keys.map((k): BoundKey => {
      const run = k.run;
      return {
        on: 'on' in k ? k.on : ['own'],
        key: 'key' in k ? k.key : null,
        label: k.label,
        help: k.help,
        group: 'group' in k ? k.group : undefined,
        contexts: k.contexts ?? BROWSE,
        everywhere: 'everywhere' in k ? Boolean(k.everywhere) : false,
        run: run ? (s, a, env) => run(s, a, { ...env, view: viewOf(env.data) }) : undefined,
      };
    }),
    load: def.load ? (ctx) => def.load!(ctx) : undefined,
    carry: (view, prev, next) => (def.carry ? def.carry(view as V, prev, next) : view),
    listLength: (input) => def.listLength({ ...input, view: viewOf(input.data) }),
    settle: (ui, data) => (def.settle ? def.settle(ui, viewOf(data)) : ui),
    footer: (ui) => def.footer?.(ui),
    render,
  };
}
