/** Shared by commands: the registry from config, and name validation with a helpful error. */
import type { Config } from '../core/config.js';
import type { Registry } from '../core/types.js';
import { loadRegistry } from '../core/vendors/registry.js';
import { UsageError } from '../core/errors.js';

export function registryFor(config: Config): Registry {
  return loadRegistry(config);
}

export function assertKnown(registry: Registry, names: string[]): void {
  const known = registry.integrations.map((s) => s.name);
  for (const n of names) if (!known.includes(n)) throw new UsageError(`unknown integration '${n}'`, `known: ${known.join(', ')}`);
}
