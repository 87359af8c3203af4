/**
 * The NOTIFY channels the TUI, `events --follow` and the SDK LISTEN on: names only, so a face
 * that needs a name (core/store.ts re-exports them) loads no query module for it.
 */
export const STATE_CHANNEL = 'observatory_state';
export const EVENTS_CHANNEL = 'observatory_events';
export const TRADING_STATE_CHANNEL = 'observatory_trading_state';
