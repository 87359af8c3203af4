/**
 * Writes made on a bot's behalf by a face (the HTTP API for bots in other languages): usage
 * event batches, validated by events-schema.ts first, and the run lifecycle. The SDK writes
 * through the same functions. Faces import this, never core/db/*.
 */
export { insertEvents } from './db/usage-events.js';
export {
  finishRun,
  heartbeatRun,
  startRun,
  RunConflictError,
  RunInputError,
  TERMINAL_STATES,
  type RunView,
  type StartRunInput,
  type TerminalState,
} from './db/runs.js';
