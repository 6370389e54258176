// The job left alone at night: one run at a time, a failing source that does not take the others
// down, alerts, stale sources, the ledger and `cchc status`, old releases cleaned up. Real
// processes, real files, a real HTTP server for the webhook.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { LOCK_FILE } from '../../pipelines/ops/lock.js';
import { query, queryFile, tempDir, webhook, writeText } from '../helpers.js';
import { FIRST_NIGHT, runCchc, sampleInboxes, startCchc, writeConfig } from '../processes.js';

const sampleDir = inject('sampleDir');
const FIRST = FIRST_NIGHT;

function setUp(extra: Record<string, unknown> = {}) {
  const dir = tempDir();
  const inboxes = sampleInboxes(sampleDir, dir, FIRST);
  return { dir, inboxes, config: writeConfig(dir, inboxes, extra), data: join(dir, 'data') };
}

/** A published mart's rows, as the dashboards read them. */
function martRows(data: string, mart: string, select = '*'): Promise<Record<string, unknown>[]> {
  return query(`SELECT ${select} FROM read_parquet('${join(data, 'publish', 'current', 'marts', `${mart}.parquet`)}') ORDER BY ALL`);
}

function manifestOf(data: string): { run_id: string; stale_marts: string[]; marts: { name: string; stale?: string }[] } {
  return JSON.parse(readFileSync(join(data, 'publish', 'current', 'manifest.json'), 'utf8'));
}

describe('one run at a time', () => {
  it('refuses a second run while one is going, with exit code 4, and records it as skipped', async () => {
    const { config, data } = setUp();
    const first = startCchc(['run', '--config', config]);
    await first.waitFor((l) => l.msg === 'run started');
    // Paused, so that it is surely still going while the second starts.
    first.child.kill('SIGSTOP');
    const second = await runCchc(['run', '--config', config]);
    first.child.kill('SIGCONT');
    expect(second.code).toBe(4);
    expect(second.stdout).toBe('');
    expect(second.lines.map((l) => l.msg)).toContain('run skipped: another run is in progress');
    const done = await first.exited;
    expect(done.code).toBe(0);
    const ledger = readdirSync(join(data, 'runs')).map((f) => JSON.parse(readFileSync(join(data, 'runs', f), 'utf8')));
    expect(ledger.map((r) => r.outcome).sort()).toEqual(['skipped', 'success']);
    const skipped = ledger.find((r) => r.outcome === 'skipped');
    expect(skipped.errors[0].message).toMatch(/^another run is in progress: \S+ \((manual|cron), pid \d+ on \S+, since \S+\); it holds \S+cchc\.lock$/);
    expect(existsSync(join(data, LOCK_FILE))).toBe(false);
  });

  it('takes over a lock left by a process that is gone, and says so', async () => {
    const { config, data } = setUp();
    // The pid of a process that has ended.
    const dead = Number(execFileSync(process.execPath, ['-e', 'console.log(process.pid)']).toString());
    mkdirSync(data, { recursive: true });
    writeText(join(data, LOCK_FILE), JSON.stringify({ pid: dead, host: hostname(), run_id: 'killed-run', trigger: 'cron', started_at: '2024-04-01T02:00:00Z' }));
    const run = await runCchc(['run', '--config', config]);
    expect(run.code).toBe(0);
    expect(run.lines.find((l) => l.msg.startsWith('the run lock was left by a process that is gone'))).toMatchObject({ holder: { pid: dead, run_id: 'killed-run' } });
    expect(existsSync(join(data, LOCK_FILE))).toBe(false);
  });

  it('takes over a lock whose holder was killed and is a zombie its parent has not reaped yet', async () => {
    const { config, data } = setUp();
    mkdirSync(data, { recursive: true });
    // A parent that never reaps: its child, killed, stays a zombie (state Z) until the parent ends.
    // The child is killed only once the shell has become `sleep`: the shell itself may reap it.
    const parent = spawn('sh', ['-c', 'sleep 60 & exec sleep 60'], { stdio: 'ignore' });
    try {
      const children = () => readFileSync(`/proc/${parent.pid}/task/${parent.pid}/children`, 'utf8').trim();
      while (readFileSync(`/proc/${parent.pid}/comm`, 'utf8').trim() !== 'sleep' || children() === '') await new Promise((resolve) => setTimeout(resolve, 20));
      const pid = Number(children().split(' ')[0]);
      const stat = () => {
        const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return text.slice(text.lastIndexOf(')') + 2).split(' ');
      };
      // The lock as a run writes it: with the boot and the start time of its process.
      const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      const lock = { pid, host: hostname(), run_id: 'killed-run', trigger: 'cron', started_at: '2024-04-01T02:00:00Z', boot_id: bootId, process_start: stat()[19] };
      writeText(join(data, LOCK_FILE), JSON.stringify(lock));
      process.kill(pid, 'SIGKILL');
      while (stat()[0] !== 'Z') await new Promise((resolve) => setTimeout(resolve, 20));
      const run = await runCchc(['run', '--config', config]);
      expect(run.code).toBe(0);
      expect(run.lines.find((l) => l.msg.startsWith('the run lock was left by a process that is gone'))).toMatchObject({ holder: { pid, run_id: 'killed-run' } });
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('takes over a lock whose pid now belongs to another process (reused after a restart)', async () => {
    const { config, data } = setUp();
    mkdirSync(data, { recursive: true });
    // This test's own process is alive, but it is not the one that took the lock: that one started at another time.
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const lock = { pid: process.pid, host: hostname(), run_id: 'before-the-restart', trigger: 'schedule', started_at: '2024-04-01T02:00:00Z', boot_id: bootId, process_start: '1' };
    writeText(join(data, LOCK_FILE), JSON.stringify(lock));
    const run = await runCchc(['run', '--config', config]);
    expect(run.code).toBe(0);
    expect(run.lines.find((l) => l.msg.startsWith('the run lock was left by a process that is gone'))).toMatchObject({ holder: { run_id: 'before-the-restart' } });
  });
});

describe('a source that fails', () => {
  const hook = webhook();

  it('makes the run partial: the other sources are published, the marts that read it keep their last good data', async () => {
    const { dir, inboxes, data } = setUp();
    const config = writeConfig(dir, inboxes, { alerts: { webhook_url: hook.url() } });
    expect((await runCchc(['run', '--config', config])).code).toBe(0);
    const budgetBefore = await martRows(data, 'fct_budget_execution');
    const receivedBefore = await martRows(data, 'fct_tthc_resolution', 'sum(received_total) AS n');

    // New weeks of dossiers and a new month of payments, and a budget workbook the job cannot read.
    sampleInboxes(sampleDir, dir, { motcua: /^ho-so-2024-W0[7-9]\./, dvc: /-2024-02\.csv$/ });
    writeText(join(inboxes.ngansach!, 'bao-cao-ngan-sach-2024-Q2.xlsx'), 'an e-mail saved under the wrong name');
    const run = await runCchc(['run', '--config', config]);

    expect(run.code).toBe(3);
    expect(run.stderr).toContain('The run was partial');
    const manifest = manifestOf(data);
    expect(manifest.stale_marts.sort()).toEqual(['fct_budget_execution', 'fct_par_criteria', 'rpt_quarterly_indicators', 'rpt_reconciliation']);
    expect(manifest.marts.find((m) => m.name === 'fct_budget_execution')!.stale).toMatch(/^source ngansach failed in run \S+: the data of the last good run$/);
    // The dossiers of the new weeks are published; the budget keeps the last good run's figures.
    const receivedAfter = await martRows(data, 'fct_tthc_resolution', 'sum(received_total) AS n');
    expect(Number(receivedAfter[0]!.n)).toBeGreaterThan(Number(receivedBefore[0]!.n));
    expect(await martRows(data, 'fct_budget_execution')).toEqual(budgetBefore);

    const [ledger] = await queryFile<{ summary: string }>(join(data, 'warehouse.duckdb'), `SELECT summary FROM ops.runs WHERE outcome = 'partial'`);
    const summary = JSON.parse(ledger!.summary);
    expect(summary.sources.ngansach.outcome).toBe('failed');
    expect(summary.sources.motcua).toMatchObject({ outcome: 'success', load: { files: 3, failed_files: 0 } });
    const february = readdirSync(join(sampleDir, 'dvc', 'inbox')).filter((n) => /-2024-02\.csv$/.test(n));
    expect(summary.sources.dvc).toMatchObject({ outcome: 'success', load: { files: february.length, failed_files: 0 } });
    expect(summary.errors).toEqual([expect.objectContaining({ stage: 'load', source: 'ngansach', message: expect.stringMatching(/^bao-cao-ngan-sach-2024-Q2\.xlsx: /) })]);

    // The alert carries the same summary.
    const alert = hook.received.at(-1)!.body;
    expect(alert).toMatchObject({ alert: 'run partial', outcome: 'partial', runId: manifest.run_id });
    expect(JSON.stringify(alert.errors)).toContain('bao-cao-ngan-sach-2024-Q2.xlsx');
  });
});

describe('a supervised run, as cron or systemd starts it', () => {
  const hook = webhook();

  it('records a run whose process dies of a signal as failed, frees its lock, alerts at once and exits 1', async () => {
    const { config, data } = setUp({ alerts: { webhook_url: hook.url() } });
    const supervisor = startCchc(['run', '--supervised', '--trigger', 'cron', '--config', config]);
    const started = await supervisor.waitFor((l) => l.msg === 'run started');
    expect(started.trigger).toBe('cron');
    const holder = JSON.parse(readFileSync(join(data, LOCK_FILE), 'utf8')) as { pid: number; run_id: string };
    expect(holder.pid).not.toBe(supervisor.child.pid);
    // The run's process holds glibc's malloc to two arenas, as the supervisor starts it (runEnv).
    if (process.platform === 'linux') expect(readFileSync(`/proc/${holder.pid}/environ`, 'utf8').split('\0')).toContain(`MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? '2'}`);
    process.kill(holder.pid, 'SIGSEGV');
    const exit = await supervisor.exited;

    expect(exit.code).toBe(1);
    expect(exit.lines.find((l) => l.msg === 'the run process died of SIGSEGV: recorded as failed')).toMatchObject({ run_id: holder.run_id });
    const [ledger] = await queryFile<{ outcome: string; summary: string }>(join(data, 'warehouse.duckdb'), `SELECT outcome, summary::VARCHAR AS summary FROM ops.runs WHERE run_id = '${holder.run_id}'`);
    expect(ledger!.outcome).toBe('failed');
    expect(ledger!.summary).toContain(`the run process (pid ${holder.pid}) died of SIGSEGV before the run finished`);
    expect(hook.received.at(-1)!.body).toMatchObject({ alert: 'run failed', runId: holder.run_id });
    expect(existsSync(join(data, LOCK_FILE))).toBe(false);

    // The next run finds nothing left to close, and carries on.
    const next = await runCchc(['run', '--supervised', '--config', config]);
    expect(next.code).toBe(0);
    expect(next.lines.find((l) => l.msg.startsWith('runs left unfinished'))).toBeUndefined();
  });
});

describe('a run short of memory', () => {
  it('fails as the operator can fix it, not as a bug: it names duckdb.memory_limit, and the release stays', async () => {
    const { dir, inboxes, config, data } = setUp();
    expect((await runCchc(['run', '--config', config])).code).toBe(0);
    const current = readlinkSync(join(data, 'publish', 'current'));
    const run = await runCchc(['run', '--config', writeConfig(dir, inboxes, { duckdb: { memory_limit: '40MB' } }), '--full-refresh']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/DuckDB ran out of memory: Out of Memory Error: .*\n\s+→ raise duckdb\.memory_limit \(now 40MB\) or lower duckdb\.threads \(now 2\)/);
    // In a model: the model's own error ("fix the model SQL") is not the one to show.
    expect(run.stderr).toContain('- [transform] DuckDB ran out of memory');
    expect(run.stderr).not.toContain('fix the model SQL');
    expect(run.stderr).not.toContain('this is a bug');
    expect(run.stderr).not.toContain('triggerUncaughtException');
    expect(readlinkSync(join(data, 'publish', 'current'))).toBe(current);
  });
});

describe('alerts and staleness', () => {
  const hook = webhook(1);

  it('writes every summary to <data>/runs, retries the webhook, and warns of a source with no new data for too long', async () => {
    const { dir, inboxes, data } = setUp();
    const config = writeConfig(dir, inboxes, { alerts: { webhook_url: hook.url() } });
    const first = await runCchc(['run', '--config', config]);
    expect(first.code).toBe(0);
    expect(hook.received).toEqual([]);

    // One hundredth of a second without new data is too long for ngansach now.
    const strict = writeConfig(dir, inboxes, { alerts: { webhook_url: hook.url() } });
    writeFileSync(strict, readFileSync(strict, 'utf8').replace(/(ngansach:\n\s+inbox: .*\n)/, '$1    max_age_hours: 0.000003\n'));
    const second = await runCchc(['run', '--config', strict]);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/warning: ngansach is stale: no new data since \S+ \(more than 0\.000003 h\)/);
    // The first POST got a 503, the retry got through.
    expect(hook.received.map((r) => r.status)).toEqual([503, 200]);
    expect(hook.received[1]!.body).toMatchObject({ alert: 'stale source: ngansach', outcome: 'success' });

    const files = readdirSync(join(data, 'runs')).sort();
    expect(files).toHaveLength(2);
    const saved = JSON.parse(readFileSync(join(data, 'runs', files[1]!), 'utf8'));
    expect(saved.freshness.find((f: { source: string }) => f.source === 'ngansach').stale).toBe(true);

    const status = await runCchc(['status', '--config', strict, '--json']);
    expect(status.code).toBe(1);
    const parsed = JSON.parse(status.stdout);
    expect(parsed.healthy).toBe(false);
    expect(parsed.freshness.map((f: { source: string; stale: boolean }) => [f.source, f.stale])).toEqual([
      ['motcua', false],
      ['dvc', false],
      ['ngansach', true],
    ]);
    expect(parsed.runs.map((r: { outcome: string }) => r.outcome)).toEqual(['success', 'success']);
    expect(parsed.current_release.run_id).toBe(saved.runId);
  });

  it('does not hold the run up when the webhook does not answer', async () => {
    // A webhook that accepts the connection and never answers.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { dir, inboxes } = setUp();
      writeText(join(inboxes.ngansach!, 'bao-cao-ngan-sach-2024-Q2.xlsx'), 'not a workbook');
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`;
      const config = writeConfig(dir, inboxes, { alerts: { webhook_url: url, retries: 1, timeout_ms: 300 } });
      const run = await runCchc(['run', '--config', config]);
      expect(run.code).toBe(3);
      expect(run.lines.find((l) => l.msg.startsWith('the alert could not be sent'))).toMatchObject({ reason: 'run partial', err: expect.stringMatching(/timeout|aborted/i) });
      expect(run.stderr).toContain('warning: the alert could not be sent to the webhook');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('the ledger and the releases', () => {
  it('keeps the newest releases up to keep_releases, never deleting the current one, and shows them in cchc status', async () => {
    const { dir, inboxes, data } = setUp();
    const config = writeConfig(dir, inboxes, { warehouse: { keep_releases: 2 } });
    for (let i = 0; i < 3; i++) expect((await runCchc(['run', '--config', config])).code).toBe(0);
    const releases = readdirSync(join(data, 'publish', 'releases')).sort();
    expect(releases).toHaveLength(2);
    expect(readlinkSync(join(data, 'publish', 'current'))).toBe(join('releases', releases[1]!));

    // Two releases that sort after the next one (a clock set wrong): the current one stays all the same.
    for (const name of ['99990101T000000Z-aaaa', '99990102T000000Z-bbbb']) mkdirSync(join(data, 'publish', 'releases', name));
    expect((await runCchc(['run', '--config', config])).code).toBe(0);
    const current = readlinkSync(join(data, 'publish', 'current')).replace('releases/', '');
    expect(readdirSync(join(data, 'publish', 'releases')).sort()).toEqual([current, '99990101T000000Z-aaaa', '99990102T000000Z-bbbb'].sort());
    for (const name of ['99990101T000000Z-aaaa', '99990102T000000Z-bbbb']) rmSync(join(data, 'publish', 'releases', name), { recursive: true });

    const status = await runCchc(['status', '--config', config]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Current release: ${current}`);
    expect(status.stdout.match(/^ {2}\S+ {2}success/gm)).toHaveLength(4);
    expect(status.stdout).toMatch(/motcua {5}fresh/);
    expect(status.stdout).toContain('Healthy.');
  });

  it('keeps the outcome a run wrote in its summary file when it died before recording it in ops.runs', async () => {
    const { config, data } = setUp();
    const killed = await runCchc(['run', '--config', config], { CCHC_FAILPOINT: 'summary-written' });
    expect(killed.signal).toBe('SIGKILL');
    const runId = killed.lines.find((l) => l.msg === 'run started')!.run_id as string;
    expect(JSON.parse(readFileSync(join(data, 'runs', `${runId}.json`), 'utf8')).outcome).toBe('success');
    const warehouse = join(data, 'warehouse.duckdb');
    expect(await queryFile(warehouse, `SELECT outcome FROM ops.runs WHERE run_id = '${runId}'`)).toEqual([{ outcome: 'running' }]);

    const next = await runCchc(['run', '--config', config]);
    expect(next.code).toBe(0);
    expect(next.lines.find((l) => l.msg.startsWith('runs left unfinished'))).toBeUndefined();
    expect(await queryFile(warehouse, `SELECT outcome, finished_at IS NOT NULL AS finished FROM ops.runs WHERE run_id = '${runId}'`)).toEqual([{ outcome: 'success', finished: true }]);
  });

  it('marks a run left unfinished by a dead process as failed, in ops.runs and in its summary file', async () => {
    const { config, data } = setUp();
    // A run killed half-way: ops.runs and its summary file still say `running`.
    const killed = startCchc(['run', '--config', config]);
    const { run_id: dead } = await killed.waitFor((l) => l.msg === 'run started');
    killed.child.kill('SIGKILL');
    await killed.exited;
    const warehouse = join(data, 'warehouse.duckdb');
    expect(await queryFile(warehouse, `SELECT outcome FROM ops.runs WHERE run_id = '${dead}'`)).toEqual([{ outcome: 'running' }]);

    const next = await runCchc(['run', '--config', config]);
    expect(next.lines.find((l) => l.msg.startsWith('runs left unfinished'))).toMatchObject({ runs: [dead] });
    const closed = JSON.parse(readFileSync(join(data, 'runs', `${dead}.json`), 'utf8'));
    expect(closed.outcome).toBe('failed');
    expect(closed.errors[0].message).toMatch(/^interrupted/);
    const [row] = await queryFile<{ outcome: string; errors: string }>(warehouse, `SELECT outcome, (summary->'errors')::VARCHAR AS errors FROM ops.runs WHERE run_id = '${dead}'`);
    expect(row!.outcome).toBe('failed');
    expect(row!.errors).toMatch(/interrupted/);
  });
});
