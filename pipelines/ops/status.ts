// `cchc status`: what an operator asks in the morning. Read from files only (the run ledger in
// <data>/runs, the lock, the current manifest), so that it answers while a run holds the warehouse.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../config/load.js';
import { messageOf } from '../../core/errors.js';
import { currentRelease } from '../stages/publish.js';
import { describeQuarantine, rowsQuarantined, type QuarantineReport } from '../stages/quarantine-report.js';
import { isStaleAt, readSummaries, type Freshness, type LedgerEntry } from './ledger.js';
import { lockHolder, type LockHolder } from './lock.js';

export type Status = {
  /** The last finished run succeeded and no source is stale. */
  healthy: boolean;
  running: LockHolder | null;
  current_release:
    | { run_id: string; dir: string; published_at: string; data_as_of: string | null; marts: number; stale_marts: string[] }
    /** `current` points at a release whose manifest cannot be read: what dashboards read is in doubt. */
    | { run_id: string; dir: string; problem: string }
    | null;
  freshness: (Freshness & { age_hours: number | null })[];
  failing_tests: { name: string; severity: string; failing_rows: number }[];
  /** Each source's quarantine as the last run that loaded it judged it: rows waiting, why, and what fixes them. */
  quarantine: (QuarantineReport & { source: string; run_id: string })[];
  runs: { run_id: string; trigger: string; outcome: string; started_at: string; finished_at: string; errors: LedgerEntry['errors']; warnings: string[] }[];
};

export async function readStatus(config: Config, limit: number, now = new Date()): Promise<Status> {
  const { dataDir, publishDir } = config.paths;
  const running = (await lockHolder(dataDir)) ?? null;
  // A run still `running` without a live process was killed; the next run will close it.
  const ledger = (await readSummaries(dataDir, Math.max(limit, 50))).map((r): LedgerEntry =>
    r.outcome === 'running' && r.runId !== running?.run_id
      ? { ...r, outcome: 'failed', errors: [{ stage: 'unknown', message: 'interrupted: its process is gone (killed, or the machine stopped)', action: 'the next run closes it and carries on' }] }
      : r,
  );
  const finished = ledger.filter((r) => r.outcome !== 'running' && r.outcome !== 'skipped');
  const lastFinished = finished[0];
  const measured = ledger.find((r) => r.freshness?.length > 0)?.freshness ?? [];
  const freshness = measured.map((f) => ({
    ...f,
    stale: isStaleAt(f, now),
    age_hours: f.last_new_data ? Math.round((now.getTime() - Date.parse(f.last_new_data)) / 360_000) / 10 : null,
  }));
  const currentRelease = await readCurrent(publishDir);
  return {
    healthy:
      lastFinished?.outcome === 'success' && freshness.every((f) => !f.stale) && lastQuarantine(finished).every((q) => !q.over_limit) &&
      !(currentRelease && 'problem' in currentRelease),
    running,
    current_release: currentRelease,
    freshness,
    failing_tests: finished.find((r) => r.tests)?.tests?.failing ?? [],
    quarantine: lastQuarantine(finished),
    runs: ledger.slice(0, limit).map((r) => ({
      run_id: r.runId,
      trigger: r.trigger,
      outcome: r.outcome,
      started_at: r.startedAt,
      finished_at: r.finishedAt,
      errors: r.errors,
      warnings: r.warnings,
    })),
  };
}

/** For each source, the quarantine the latest run that loaded it reported, when it holds rows. */
function lastQuarantine(finished: readonly LedgerEntry[]): Status['quarantine'] {
  const found = new Map<string, Status['quarantine'][number]>();
  for (const run of finished) {
    for (const [source, report] of Object.entries(run.sources ?? {})) {
      if (report.quarantine && !found.has(source)) found.set(source, { source, run_id: run.runId, ...report.quarantine });
    }
  }
  return [...found.values()].filter((q) => rowsQuarantined(q) > 0);
}

async function readCurrent(publishDir: string): Promise<Status['current_release']> {
  const runId = await currentRelease(publishDir);
  if (!runId) return null;
  const dir = join(publishDir, 'releases', runId);
  let manifest: { published_at: string; data_as_of: string | null; marts: unknown[]; stale_marts?: string[] };
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as typeof manifest;
  } catch (error) {
    return { run_id: runId, dir, problem: `its manifest.json cannot be read (${messageOf(error)})` };
  }
  return { run_id: runId, dir, published_at: manifest.published_at, data_as_of: manifest.data_as_of, marts: manifest.marts.length, stale_marts: manifest.stale_marts ?? [] };
}

export function formatStatus(status: Status): string {
  const lines: string[] = [];
  if (status.running) {
    const r = status.running;
    lines.push(`Running now: ${r.run_id} (${r.trigger}, pid ${r.pid}, since ${r.started_at})`, '');
  }
  const release = status.current_release;
  if (!release) lines.push('Current release: none published yet');
  else if ('problem' in release) {
    lines.push(`Current release: ${release.run_id} (${release.dir}): ${release.problem}`, '  → run the job again: it publishes a whole release and points current at it');
  } else {
    lines.push(
      `Current release: ${release.run_id}, published ${release.published_at}, ${release.marts} marts, data as of ${release.data_as_of ?? 'unknown'}` +
        (release.stale_marts.length > 0 ? `\n  stale (a source failed; last good data): ${release.stale_marts.join(', ')}` : ''),
    );
  }
  if (status.freshness.length > 0) {
    lines.push('', 'Sources (new data within their maximum age?):');
    for (const f of status.freshness) {
      const age = f.age_hours === null ? 'never received data' : `last new data ${f.last_new_data} (${f.age_hours} h ago)`;
      lines.push(`  ${f.source.padEnd(10)} ${f.stale ? 'STALE' : 'fresh'}  ${age}, max ${f.max_age_hours} h`);
    }
  }
  lines.push('', status.runs.length > 0 ? 'Last runs:' : 'No run yet.');
  for (const run of status.runs) {
    const seconds = run.finished_at ? `${Math.round((Date.parse(run.finished_at) - Date.parse(run.started_at)) / 1000)} s` : 'not finished';
    lines.push(`  ${run.run_id}  ${run.outcome.padEnd(8)} ${run.trigger.padEnd(9)} ${run.started_at}  ${seconds}`);
    for (const e of run.errors) lines.push(`      [${e.stage}${e.source ? ` ${e.source}` : ''}] ${e.message.replaceAll('\n', '\n      ')}\n        → ${e.action}`);
  }
  if (status.quarantine.length > 0) {
    lines.push('', 'Quarantine (rows not loaded, since each source last passed):');
    for (const q of status.quarantine) {
      const { message, action } = describeQuarantine(q.source, q);
      lines.push(`  ${q.over_limit ? 'OVER LIMIT' : 'within'}  ${message.replaceAll('\n', '\n  ')}`, `    → ${action}`);
    }
  }
  if (status.failing_tests.length > 0) {
    lines.push('', 'Failing data tests (last finished run):');
    for (const t of status.failing_tests) lines.push(`  ${t.name} (${t.severity}): ${t.failing_rows} rows`);
  }
  lines.push('', status.healthy ? 'Healthy.' : 'Needs attention: the last run did not succeed, a source is stale, or its quarantine is over the limit.');
  return lines.join('\n');
}
