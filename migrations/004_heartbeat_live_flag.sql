-- The live-trading switch as the prober saw it. `gate check --mode live` must follow the
-- daemon's LIVE_TRADING_ENABLED (the platform's switch), not the environment of whoever runs the
-- CLI: a deploy script exporting it would otherwise lift the LIVE_TRADING_DISABLED blocker.
alter table daemon_heartbeats add column live_trading_enabled boolean not null default false;
