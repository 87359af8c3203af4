/** `observatory session` and `gate check --at` as a subprocess: stdout, stderr and exit code apart. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'obs-cli-session-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { OBSERVATORY_HOME: join(dir, 'home') };

describe('observatory session', () => {
  it('--at a holiday: closed, why, the last session and the next open (human and --json)', async () => {
    const human = await cli(['session', '--at', '2025-12-25T10:00:00-06:00'], env);
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toContain('CLOSED equity_index');
    expect(human.stdout).toContain('holiday: Christmas');
    expect(human.stdout).toContain('next open: Thu 2025-12-25 17:00 CST');
    const json = await cli(['session', '--group', 'equity_index', '--at', '2025-12-02T16:30:00-06:00', '--json'], env);
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      success: true,
      group: 'equity_index',
      state: 'break',
      reason: { kind: 'maintenance', name: null },
      session_close: '2025-12-02T22:00:00.000Z',
      next_open: '2025-12-02T23:00:00.000Z',
    });
  });

  it('unknown group, malformed --at: one line on stderr, nothing on stdout, exit 64', async () => {
    for (const args of [
      ['session', '--group', 'energy'],
      ['session', '--at', '2025-12-25 10:00'],
      ['session', '--at', 'tomorrow', '--json'],
    ]) {
      const r = await cli(args, env);
      expect(r.exitCode, args.join(' ')).toBe(64);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('a config file whose override window ends before it starts: exit 78, one line naming the field', async () => {
    const p = join(dir, 'bad.json');
    writeFileSync(
      p,
      JSON.stringify({
        calendar: { groups: { equity_index: { closures: [{ from: '2025-03-05T15:30:00-06:00', to: '2025-03-05T14:00:00-06:00', name: 'x' }] } } },
      }),
    );
    const r = await cli(['--config', p, 'session'], env);
    expect(r.exitCode).toBe(78);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('calendar.groups.equity_index.closures.0.to');
  });

  it('gate check --at malformed: no verdict (exit 3) with GATE_INPUT_INVALID in the JSON shape', async () => {
    const r = await cli(['gate', 'check', '--at', 'noon', '--json'], env);
    expect(r.exitCode).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ global_status: 'UNKNOWN', blockers: [expect.objectContaining({ code: 'GATE_INPUT_INVALID' })] });
  });
});
