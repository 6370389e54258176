// `cchc schedule` as a service manager runs it: a real cron schedule (every second here), runs
// one at a time, and a clean stop on SIGTERM in the middle of a run.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { LOCK_FILE } from '../../pipelines/ops/lock.js';
import { queryFile, tempDir, webhook } from '../helpers.js';
import { runCchc, sampleInboxes, startCchc, writeConfig, type LogLine } from '../processes.js';

const sampleDir = inject('sampleDir');

describe('cchc schedule', () => {
  it('fires runs on its cron schedule, one at a time, and on SIGTERM stops the current run cleanly and exits 0', async () => {
    const dir = tempDir();
    const inboxes = sampleInboxes(sampleDir, dir, { motcua: /^(danh-muc-tthc\.csv|ho-so-2024-W0[1-4]\.csv)$/ });
    const config = writeConfig(dir, inboxes, { schedule: { cron: '* * * * * *', timezone: 'Asia/Ho_Chi_Minh' } });
    const data = join(dir, 'data');

    const scheduler = startCchc(['schedule', '--config', config]);
    const scheduled = await scheduler.waitFor((l) => l.msg === 'scheduled: waiting for the next run');
    expect(scheduled).toMatchObject({ cron: '* * * * * *', timezone: 'Asia/Ho_Chi_Minh', next_run: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
    // The first run, paused, is surely still going at the next ticks: they are skipped, not run beside it.
    await scheduler.waitFor((l) => l.msg === 'run started');
    const { pid } = JSON.parse(readFileSync(join(data, LOCK_FILE), 'utf8')) as { pid: number };
    process.kill(pid, 'SIGSTOP');
    try {
      await scheduler.waitFor((l) => l.msg === 'the previous run is still going: this tick is skipped');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await scheduler.waitFor((l) => l.msg === 'run finished');
    let started = 0;
    await scheduler.waitFor((l: LogLine) => l.msg === 'run started' && ++started === 2);
    scheduler.child.kill('SIGTERM');
    const exit = await scheduler.exited;

    expect(exit.code).toBe(0);
    const messages = exit.lines.map((l) => l.msg);
    expect(messages).toContain('schedule stopped');
    expect(exit.lines.filter((l) => l.msg === 'run started').every((l) => l.trigger === 'schedule')).toBe(true);

    // The ledger holds every run, none of them left `running`, and the lock is gone.
    const ledger = readdirSync(join(data, 'runs')).map((f) => JSON.parse(readFileSync(join(data, 'runs', f), 'utf8')) as { outcome: string; errors: { message: string }[] });
    expect(ledger.length).toBeGreaterThanOrEqual(2);
    expect(ledger.filter((r) => r.outcome === 'success').length).toBeGreaterThanOrEqual(1);
    expect(ledger.every((r) => r.outcome === 'success' || r.errors[0]!.message === 'the run was stopped by SIGTERM before it finished')).toBe(true);
    expect(existsSync(join(data, LOCK_FILE))).toBe(false);

    // The warehouse is consistent: the next run finds nothing unfinished and nothing new to load.
    const next = await runCchc(['run', '--config', config]);
    expect(next.code).toBe(0);
    expect(next.lines.find((l) => l.msg.startsWith('runs left unfinished'))).toBeUndefined();
    expect(next.lines.find((l) => l.msg === 'load done')).toMatchObject({ files: 0 });
  });

  const hook = webhook();

  it.each(['SIGSEGV', 'SIGKILL'] as const)(
    'watches each run: one that dies of %s is recorded as failed with it, its lock freed, the alert sent at once, and the schedule goes on',
    async (signal) => {
      const dir = tempDir();
      const inboxes = sampleInboxes(sampleDir, dir, { motcua: /^(danh-muc-tthc\.csv|ho-so-2024-W0[1-4]\.csv)$/ });
      const config = writeConfig(dir, inboxes, { schedule: { cron: '*/2 * * * * *', timezone: 'Asia/Ho_Chi_Minh' }, alerts: { webhook_url: hook.url() } });
      const data = join(dir, 'data');

      const scheduler = startCchc(['schedule', '--config', config]);
      const started = await scheduler.waitFor((l) => l.msg === 'run started');
      // The run is a process of its own: the one holding the lock, not the scheduler.
      const holder = JSON.parse(readFileSync(join(data, LOCK_FILE), 'utf8')) as { pid: number; run_id: string };
      expect(holder.pid).not.toBe(scheduler.child.pid);
      expect(holder.run_id).toBe(started.run_id);
      // The engine crashes, or the kernel's OOM killer ends it.
      process.kill(holder.pid, signal);
      const recorded = await scheduler.waitFor((l) => l.msg === `the run process died of ${signal}: recorded as failed`);
      expect(recorded).toMatchObject({ run_id: holder.run_id, signal });
      await scheduler.waitFor((l) => l.msg === 'alert sent');
      // The schedule goes on: the next tick runs, and finishes.
      await scheduler.waitFor((l) => l.msg === 'run started' && l.run_id !== holder.run_id);
      await scheduler.waitFor((l) => l.msg === 'run finished');
      scheduler.child.kill('SIGTERM');
      expect((await scheduler.exited).code).toBe(0);

      const dead = JSON.parse(readFileSync(join(data, 'runs', `${holder.run_id}.json`), 'utf8')) as { outcome: string; errors: { message: string }[] };
      expect(dead.outcome).toBe('failed');
      expect(dead.errors[0]!.message).toBe(`the run process (pid ${holder.pid}) died of ${signal} before the run finished`);
      const alert = hook.received.find((r) => r.body.runId === holder.run_id)!.body;
      expect(alert).toMatchObject({ alert: 'run failed', runId: holder.run_id, outcome: 'failed' });
      expect(JSON.stringify(alert.errors)).toContain(`died of ${signal}`);
      const [ledger] = await queryFile<{ outcome: string; summary: string }>(join(data, 'warehouse.duckdb'), `SELECT outcome, summary::VARCHAR AS summary FROM ops.runs WHERE run_id = '${holder.run_id}'`);
      expect(ledger!.outcome).toBe('failed');
      expect(ledger!.summary).toContain(`died of ${signal}`);
      expect(existsSync(join(data, LOCK_FILE))).toBe(false);
    },
  );

  it('refuses a cron expression that is not one, with exit code 2', async () => {
    const dir = tempDir();
    const config = writeConfig(dir, sampleInboxes(sampleDir, dir, { motcua: /^danh-muc-tthc\.csv$/ }));
    const exit = await runCchc(['schedule', '--config', config, '--cron', 'every night at two']);
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain('"every night at two" is not a cron expression');
  });
});
