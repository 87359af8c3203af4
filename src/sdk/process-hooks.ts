/**
 * The recorder's process hooks, installed once per process and shared by every recorder: one
 * listener per event however many recorders a bot creates (no MaxListeners warnings), and one
 * decision per signal. A default SIGTERM/SIGINT ends a process without 'exit', so the signal
 * listener spools every recorder first; it is prepended, so when it runs every other listener
 * is still attached: if the bot has one, the bot's shutdown keeps control (its close() replays
 * what was spooled); if not, the signal is re-raised and the process ends the way it would have.
 */

export interface ProcessHooks {
  /** the event loop is empty: store what is queued */
  onBeforeExit: () => void;
  /** the process is ending (exit, or a signal nobody else handles): sync work only */
  onExit: () => void;
}

const hooks = new Set<ProcessHooks>();
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

const onProcessSignal = (sig: (typeof SIGNALS)[number]) => {
  for (const h of hooks) h.onExit();
  if (process.listenerCount(sig) === 1) {
    for (const s of SIGNALS) process.off(s, signalListeners[s]);
    process.kill(process.pid, sig);
  }
};
const signalListeners = { SIGTERM: () => onProcessSignal('SIGTERM'), SIGINT: () => onProcessSignal('SIGINT') };
const onProcessExit = () => {
  for (const h of hooks) h.onExit();
};
const onProcessBeforeExit = () => {
  for (const h of hooks) h.onBeforeExit();
};

export function addProcessHooks(h: ProcessHooks): void {
  if (hooks.size === 0) {
    process.on('beforeExit', onProcessBeforeExit);
    process.on('exit', onProcessExit);
    for (const s of SIGNALS) process.prependListener(s, signalListeners[s]);
  }
  hooks.add(h);
}

export function removeProcessHooks(h: ProcessHooks): void {
  hooks.delete(h);
  if (hooks.size === 0) {
    process.off('beforeExit', onProcessBeforeExit);
    process.off('exit', onProcessExit);
    for (const s of SIGNALS) process.off(s, signalListeners[s]);
  }
}
