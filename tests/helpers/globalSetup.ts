/**
 * One Postgres for the whole run: TEST_DATABASE_URL when set, else an embedded server in a
 * throwaway OBSERVATORY_HOME. A migrated template database is made once; each test file
 * clones it (tests/helpers/db.ts), which is much faster than migrating per file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { ensureEmbedded, type EmbeddedHandle } from '../../src/core/db/embedded.js';
import { migrate } from '../../src/core/db/migrate.js';
import { createLogger } from '../../src/core/log.js';
import { withDatabase } from './urls.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
  }
}

let embedded: EmbeddedHandle | undefined;
let home: string | undefined;
let adminUrl = '';
let templateDb = '';

export async function setup(project: TestProject): Promise<void> {
  const log = createLogger('warn');
  if (process.env.TEST_DATABASE_URL) {
    adminUrl = process.env.TEST_DATABASE_URL;
  } else {
    home = mkdtempSync(join(tmpdir(), 'observatory-test-home-'));
    embedded = await ensureEmbedded(home, log, { start: true });
    adminUrl = withDatabase(embedded.url, 'postgres');
  }
  templateDb = `obs_tpl_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${templateDb}`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: withDatabase(adminUrl, templateDb), max: 1 });
  await migrate(pool);
  await pool.end();
  project.provide('adminUrl', adminUrl);
  project.provide('templateDb', templateDb);
}

export async function teardown(): Promise<void> {
  try {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${templateDb} with (force)`);
    await admin.end();
  } catch {
    /* the server may be gone already */
  }
  await embedded?.stop();
  // as root the data directory lives outside the home (/var/lib/observatory): remove it too
  if (embedded) rmSync(embedded.dataDir, { recursive: true, force: true });
  if (home) rmSync(home, { recursive: true, force: true });
}
