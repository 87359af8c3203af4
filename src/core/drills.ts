/**
 * Drills: faults stored in the database (an HTTP status and/or extra latency a probe sees until
 * the TTL ends), honoured by whichever daemon leads the probes. Faces import this, never core/db/*.
 */
export { activeFaults, clearFaults, injectFault, type Fault } from './db/faults.js';
