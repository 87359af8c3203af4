/**
 * The spool's own behaviour (src/sdk/spool.ts): JSON lines on disk, torn lines, claims by
 * rename, orphan adoption, the bound, the dead-letter and unreadable files, replay.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { sdkHarness, bars, quiet } from './harness.js';
import { createUsageRecorder } from '../../src/sdk/index.js';
import { appendRejected, keepUnreadable, readSpoolFile, releaseHeld, rewriteSpoolFile, Spool, SpoolBacklog } from '../../src/sdk/spool.js';
import { rowToJson, validateBatch } from '../../src/core/events-schema.js';

const h = sdkHarness();

describe('spool files', () => {
  it('spool files: a torn last line never swallows the next row; a shared path loses nothing; a spool left by an earlier process with our pid is an orphan', () => {
    const dir = h.tmp();
    const v = validateBatch(Array.from({ length: 3 }, () => ({ ...bars, status: 'OK' })));
    if (!v.ok) throw new Error('bad fixture');
    const path = join(dir, 'usage-1-1.jsonl');
    writeFileSync(path, JSON.stringify(rowToJson(v.rows[0])) + '\n' + '{"id":"torn'); // a crash mid-append
    const a = new Spool(path);
    a.append([v.rows[1]]);
    const read = readSpoolFile(path);
    expect(read.rows.map((r) => r.id)).toEqual([v.rows[0].id, v.rows[1].id]);
    expect(read.badLines).toEqual(['{"id":"torn']);
    // two writers on one path: one takes the file for replay, the other's next append starts a new one
    const b = new Spool(path);
    const taken = a.take()!;
    b.append([v.rows[2]]);
    expect(readSpoolFile(taken).rows).toHaveLength(2);
    expect(readSpoolFile(path).rows.map((r) => r.id)).toEqual([v.rows[2].id]);
    // a file named for our pid that no recorder here holds: left by a process that had our pid (containers: pid 1)
    const orphanDir = h.tmp();
    writeFileSync(join(orphanDir, `usage-${process.pid}-9999.jsonl`), JSON.stringify(rowToJson(v.rows[0])) + '\n');
    const mine = new Spool(join(orphanDir, `usage-${process.pid}-1.jsonl`));
    const claimed = mine.claimOrphans();
    expect(claimed).toEqual([expect.stringMatching(new RegExp(`usage-${process.pid}-9999\\.jsonl\\.claimed-${process.pid}-\\d+$`))]);
    expect(mine.claimOrphans()).toEqual([]); // held now: not claimed twice
    // a custom spool path taken for a replay that never finished (the process died): adopted by the next recorder on that path
    const customDir = h.tmp();
    const custom = new Spool(join(customDir, 'spool.jsonl'));
    custom.append([v.rows[0]]);
    const stranded = custom.take()!;
    releaseHeld(stranded); // what the claimer's death means here
    custom.release();
    const again = new Spool(join(customDir, 'spool.jsonl'));
    expect(again.claimOrphans().map((f) => readSpoolFile(f).rows[0].id)).toEqual([v.rows[0].id]);
    for (const s of [a, b, mine, again]) s.release();
  });

  it('a spool left by a dead process is claimed and replayed by the next recorder', async () => {
    const dir = h.tmp();
    const dead = await execa('node', ['-e', 'process.stdout.write(String(process.pid))']);
    const pid = Number(dead.stdout);
    const v = validateBatch(Array.from({ length: 7 }, () => ({ ...bars, status: 'OK', bot_id: null, records: 1 })));
    if (!v.ok) throw new Error('bad fixture');
    const orphan = join(dir, `usage-${pid}-1.jsonl`);
    writeFileSync(orphan, v.rows.map((r) => JSON.stringify(rowToJson(r))).join('\n') + '\n{"torn line', { mode: 0o600 });
    const usage = createUsageRecorder({ pool: h.db.pool, spoolPath: join(dir, `usage-${process.pid}-9.jsonl`), log: quiet, exitHooks: false });
    await usage.flush();
    await usage.close();
    expect(await h.stored(v.rows.map((r) => r.id))).toEqual({ total: 7, distinct: 7 });
    expect(existsSync(orphan)).toBe(false);
  });
});
