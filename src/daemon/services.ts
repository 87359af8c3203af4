import type { DaemonService } from './daemon.js';

/** The services the daemon runs, in start order. Probing and the HTTP API plug in here. */
export async function daemonServices(): Promise<DaemonService[]> {
  return [];
}
