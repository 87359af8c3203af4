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
import { insertEvents } from '../../src/core/db/usage-events.js';
import { registerSecret } from '../../src/core/redact.js';

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

describe('the spool on its own', () => {
  const rows = (n: number, extra: Record<string, unknown> = {}) => {
    const v = validateBatch(Array.from({ length: n }, () => ({ ...bars, status: 'OK', ...extra })));
    if (!v.ok) throw new Error('bad fixture');
    return v.rows;
  };

  it('bounded: an append past maxBytes is refused whole (file untouched) unless forced; files 0600 in a 0700 directory', () => {
    const dir = join(h.tmp(), 'spool');
    const path = join(dir, 'usage-1-1.jsonl');
    const [a, b, c] = rows(3);
    const one = Buffer.byteLength(JSON.stringify(rowToJson(a)) + '\n');
    const spool = new Spool(path, one + 10);
    expect(spool.empty).toBe(true);
    expect(spool.append([a])).toBe(true);
    expect(spool.bytes).toBe(statSync(path).size);
    expect(spool.append([b, c])).toBe(false); // all or none
    expect(readSpoolFile(path).rows.map((r) => r.id)).toEqual([a.id]);
    expect(spool.append([b], { force: true })).toBe(true); // exit and close: past the bound beats losing proof
    expect(readSpoolFile(path).rows.map((r) => r.id)).toEqual([a.id, b.id]);
    expect(spool.bytes).toBe(statSync(path).size);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    spool.release();
  });

  it('an existing spool is adopted with its size, and its mode tightened on the next append', () => {
    const path = join(h.tmp(), 'usage-1-1.jsonl');
    const [a, b] = rows(2);
    writeFileSync(path, JSON.stringify(rowToJson(a)) + '\n', { mode: 0o644 });
    const spool = new Spool(path);
    expect(spool.bytes).toBe(statSync(path).size);
    expect(spool.empty).toBe(false);
    spool.append([b]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    spool.release();
  });

  it('take() claims the content by rename; nothing there is "nothing to take", not an error', () => {
    const path = join(h.tmp(), 'usage-1-1.jsonl');
    const spool = new Spool(path);
    expect(spool.take()).toBeUndefined();
    const [a, b] = rows(2);
    spool.append([a]);
    const taken = spool.take()!;
    expect(taken).toMatch(new RegExp(`usage-1-1\\.jsonl\\.claimed-${process.pid}-\\d+$`));
    expect(existsSync(path)).toBe(false);
    expect(spool.empty).toBe(true);
    expect(readSpoolFile(taken).rows.map((r) => r.id)).toEqual([a.id]);
    spool.append([b]); // a fresh file
    expect(readSpoolFile(path).rows.map((r) => r.id)).toEqual([b.id]);
    spool.release();
    releaseHeld(taken);
  });

  it("claimOrphans(): a live process's spool is left alone; unrelated files are ignored", () => {
    const dir = h.tmp();
    const [a] = rows(1);
    const line = JSON.stringify(rowToJson(a)) + '\n';
    writeFileSync(join(dir, `usage-${process.ppid}-1.jsonl`), line); // our parent: alive
    writeFileSync(join(dir, 'notes.txt'), line);
    const spool = new Spool(join(dir, `usage-${process.pid}-1.jsonl`));
    expect(spool.claimOrphans()).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['notes.txt', `usage-${process.ppid}-1.jsonl`].sort());
    spool.release();
  });

  it('the dead-letter file (<spool>.rejected) and the unreadable file (<spool>.unreadable, sanitized)', () => {
    const dir = h.tmp();
    const path = join(dir, 'usage-1-1.jsonl');
    const [a, b] = rows(2);
    const rejected = appendRejected(path, [a]);
    appendRejected(path, [b]);
    expect(rejected).toBe(`${path}.rejected`);
    expect(readSpoolFile(rejected).rows.map((r) => r.id)).toEqual([a.id, b.id]);
    expect(statSync(rejected).mode & 0o777).toBe(0o600);
    const secret = `canary-${a.id}`;
    registerSecret(secret);
    // named after the spool, not after the claimed copy it was read from
    const kept = keepUnreadable(`${path}.claimed-1-2`, [`{"torn": "${secret}`])!;
    expect(kept).toBe(`${path}.unreadable`);
    const text = readFileSync(kept, 'utf8');
    expect(text).not.toContain(secret);
    expect(text).toContain('[REDACTED]');
    expect(keepUnreadable(path, [])).toBeUndefined();
  });

  it('replay: unreadable lines set aside once, good rows stored, the file removed; an outage mid-replay keeps the claim for the retry', async () => {
    const dir = h.tmp();
    const path = join(dir, 'usage-1-1.jsonl');
    const good = rows(4);
    writeFileSync(path, good.map((r) => JSON.stringify(rowToJson(r))).join('\n') + '\n{"id":"torn\nnot json either\n', { mode: 0o600 });
    const backlog = new SpoolBacklog(new Spool(path), quiet);
    expect(backlog.waiting).toBe(true);
    const { relay, pool } = await h.relayPool();
    await relay.stop();
    await expect(backlog.replay((r) => insertEvents(pool, r).then((x) => x.inserted))).rejects.toThrow();
    await pool.end();
    expect(backlog.waiting).toBe(true); // still claimed, nothing lost
    const claimed = readdirSync(dir).filter((f) => f.includes('.claimed-'));
    expect(claimed).toHaveLength(1);
    // the claimed file keeps only the good rows; the bad lines are already aside
    const left = readSpoolFile(join(dir, claimed[0]));
    expect(left.badLines).toEqual([]);
    expect(left.rows.map((r) => r.id)).toEqual(good.map((r) => r.id));

    await backlog.replay((r) => insertEvents(h.db.pool, r).then((x) => x.inserted));
    expect(backlog.waiting).toBe(false);
    expect(backlog.replayed).toBe(4);
    expect(await h.stored(good.map((r) => r.id))).toEqual({ total: 4, distinct: 4 });
    expect(readdirSync(dir).sort()).toEqual(['usage-1-1.jsonl.unreadable']);
    // set aside once, not again by the retry
    expect(readFileSync(join(dir, 'usage-1-1.jsonl.unreadable'), 'utf8').trim().split('\n')).toEqual(['{"id":"torn', 'not json either']);
    backlog.release();
  });

  it('rewriteSpoolFile keeps exactly the rows given, one JSON line each, mode 0600', () => {
    const path = join(h.tmp(), 'x.jsonl');
    const r = rows(2);
    rewriteSpoolFile(path, r);
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(3);
    expect(readSpoolFile(path)).toEqual({ rows: r, badLines: [] });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
