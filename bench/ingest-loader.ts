/**
 * The concurrent load of bench/ingest.ts's proof step, in a process of its own: `loaders`
 * connections each storing 2000-event batches through insertEvents (as the SDK does) until
 * "stop" arrives on stdin; then prints `loaded <events>` and exits. Run apart from the reader
 * so the latencies measured there are the store's, not pauses of a shared event loop (building
 * and validating a batch holds a Node event loop for tens of milliseconds).
 *
 *   node --import tsx bench/ingest-loader.ts <database url> <bots file (JSON array)> [loaders]
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { insertEvents } from '../src/core/db/usage-events.js';
import { validateBatch } from '../src/core/events-schema.js';
import { events } from './ingest-events.js';

const [url, botsFile, n = '2'] = process.argv.slice(2);
const bots = JSON.parse(readFileSync(botsFile, 'utf8')) as string[];
const pool = new pg.Pool({ connectionString: url, max: Number(n) });
let loading = true;
let loaded = 0;
process.stdin.on('data', (d) => {
  if (d.toString().includes('stop')) loading = false;
});
const loader = async () => {
  while (loading) {
    const v = validateBatch(events(2000, bots));
    if (!v.ok) throw new Error('generated events do not validate');
    loaded += (await insertEvents(pool, v.rows)).inserted;
  }
};
const running = Array.from({ length: Number(n) }, loader);
process.stdout.write('ready\n');
await Promise.all(running);
await pool.end();
process.stdin.destroy(); // or the open stdin keeps this process alive
process.stdout.write(`loaded ${loaded}\n`);
