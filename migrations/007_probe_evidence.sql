-- What a probe proved beyond "it answered": the environment whose host it called (demo or
-- live), what the vendor said of the account (Tradovate hasLive, Ironbeam isLive), and whether
-- the base URL was the vendor's own. The live-mode gate needs all three (a demo-proven broker
-- never satisfies live; a custom endpoint blocks live unless allowed by name).
alter table integration_state
  add column environment      text    check (environment is null or environment in ('demo', 'live')),
  add column account_live     boolean,
  add column custom_endpoint  boolean not null default false;

alter table integration_probes
  add column environment      text    check (environment is null or environment in ('demo', 'live')),
  add column account_live     boolean,
  add column custom_endpoint  boolean not null default false;
