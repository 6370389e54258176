// The run ledger: what each run did, per stage and per source, and how it ended. Each run writes
// it to <data>/runs/<run_id>.json when it starts and when it ends (readable while the warehouse
// is locked by a run, and by any tool), and to ops.runs in the warehouse (for SQL).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../config/load.js';
import { configuredSources } from '../../connectors/registry.js';
import { writeFileDurably } from '../../core/files.js';
import type { Warehouse } from '../../core/warehouse.js';
import type { ExtractResult } from '../stages/extract.js';
import type { LoadResult } from '../stages/load.js';
import type { PublishResult } from '../stages/publish.js';
import type { QuarantineReport } from '../stages/quarantine-report.js';
import type { TransformResult } from '../stages/transform.js';
import { isDiskFull } from './resources.js';

export type Outcome = 'running' | 'success' | 'partial' | 'failed' | 'skipped';
/** `manual`: `cchc run`; `cron`: `cchc run --trigger cron`, from a crontab or a timer; `schedule`: `cchc schedule`. */
export type Trigger = 'manual' | 'cron' | 'schedule' | 'backfill';

export type RunError = { stage: string; source?: string; message: string; action: string };

export type SourceReport = {
  outcome: 'success' | 'failed';
  extract?: { landed: number; skipped: number; ms: number };
  load?: { files: number; rows_read: number; rows_loaded: number; rows_quarantined: number; rows_released: number; failed_files: number; ms: number };
  /** The source's quarantine since it last passed: over the limits, the source failed. */
  quarantine?: QuarantineReport;
};

export type Freshness = {
  source: string;
  /** When data last arrived from the source (a new file or API page landed); null if never. */
  last_new_data: string | null;
  max_age_hours: number;
  stale: boolean;
};

export type RunSummary = {
  runId: string;
  trigger: Trigger;
  outcome: Outcome;
  pid: number;
  startedAt: string;
  finishedAt: string;
  /** The signal that stopped the run, if one did. */
  stoppedBy: string | null;
  stageMs: Partial<Record<string, number>>;
  sources: Record<string, SourceReport>;
  freshness: Freshness[];
  /** Not failures: stale sources, files skipped as in an earlier run. */
  warnings: string[];
  errors: RunError[];
  stages: { extract?: ExtractResult; load?: LoadResult; transform?: TransformResult; publish?: PublishResult };
};

/**
 * A run as the ledger keeps it (<data>/runs/<run_id>.json, ops.runs.summary, the alert's body):
 * its summary without the per-file and per-test detail, which ops holds.
 */
export type LedgerEntry = Omit<RunSummary, 'stages'> & {
  tests?: { total: number; passed: number; failing: { name: string; severity: string; failing_rows: number }[] };
  models?: { built: number; kept_from_last_run: string[] };
  reconciliation?: TransformResult['reconciliation'];
  release?: { dir: string; marts: number; stale_marts: string[]; removed_releases: string[] };
};

/** A run's summary as it starts: nothing done yet. */
export function newSummary(start: Pick<RunSummary, 'runId' | 'trigger' | 'pid' | 'startedAt'>): RunSummary {
  return {
    ...start, outcome: 'running', finishedAt: '', stoppedBy: null,
    stageMs: {}, sources: {}, freshness: [], warnings: [], errors: [], stages: {},
  };
}

export const RUNS_DIR = 'runs';

/** Room kept in the data folder, given back when the disk is full: a run that fails for want of space still records how it ended. */
const RESERVE = { file: '.space-reserve', bytes: 2 ** 20 };

/** The summary file of a run, replaced whole (written aside, then renamed). */
export async function writeSummaryFile(dataDir: string, summary: RunSummary): Promise<string> {
  const dir = join(dataDir, RUNS_DIR);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${summary.runId}.json`);
  const text = `${JSON.stringify(summaryForFile(summary), null, 2)}\n`;
  const reserve = join(dataDir, RESERVE.file);
  try {
    await writeFileDurably(path, text);
  } catch (error) {
    if (!isDiskFull(error) || !existsSync(reserve)) throw error;
    await rm(reserve);
    await writeFileDurably(path, text);
    return path;
  }
  // Kept while there is room for it (made again by the first run after space was freed).
  // Random bytes: zeros take no room on a file system that compresses.
  if (!existsSync(reserve)) await writeFile(reserve, randomBytes(RESERVE.bytes)).catch(() => rm(reserve, { force: true }));
  return path;
}

/** The ledger form of a summary: what happened, without the per-file and per-test detail (in ops). */
export function summaryForFile(summary: RunSummary): LedgerEntry {
  const { stages, ...rest } = summary;
  const transform = stages.transform;
  return {
    ...rest,
    tests: transform && {
      total: transform.tests.length,
      passed: transform.tests.filter((t) => t.status === 'pass').length,
      failing: transform.tests.filter((t) => t.status === 'fail').map((t) => ({ name: t.name, severity: t.severity, failing_rows: t.failingRows })),
    },
    models: transform && { built: transform.models, kept_from_last_run: transform.kept },
    reconciliation: transform?.reconciliation,
    release: stages.publish && {
      dir: stages.publish.releaseDir,
      marts: stages.publish.marts.length,
      stale_marts: stages.publish.marts.filter((m) => m.stale).map((m) => m.name),
      removed_releases: stages.publish.removed,
    },
  };
}

/** The last `limit` run summaries, newest first; a file that cannot be read (a disk fault) is left out. */
export async function readSummaries(dataDir: string, limit: number): Promise<LedgerEntry[]> {
  const dir = join(dataDir, RUNS_DIR);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort().reverse().slice(0, limit);
  const read = await Promise.all(
    names.map(async (n) => {
      try {
        return JSON.parse(await readFile(join(dir, n), 'utf8')) as LedgerEntry;
      } catch {
        return undefined;
      }
    }),
  );
  return read.filter((r) => r !== undefined);
}

/**
 * Runs left `running` by a process that died (a kill, a power cut) are closed as failed, in the
 * warehouse and in their summary files. A run records its end in its file first, then in the
 * warehouse: one killed in between (or whose warehouse was full) keeps the outcome its file
 * recorded. Called under the run lock: none of them is alive.
 */
export const INTERRUPTED: RunError = {
  stage: 'unknown',
  message: 'interrupted: the process ended before the run finished (killed, or the machine stopped)',
  action: 'nothing to do: what it committed stays, and the next run carries on; `cchc status` shows which release is current',
};

export async function closeInterruptedRuns(db: Warehouse, dataDir: string, current: string, error: RunError = INTERRUPTED): Promise<string[]> {
  const recorded = new Map(
    (await db.all<{ run_id: string; outcome: string; summary: string | null }>(`SELECT run_id, outcome, summary::VARCHAR AS summary FROM ops.runs WHERE run_id <> $1`, [current]))
      .map((r) => [r.run_id, r]),
  );
  const files = new Map((await readSummaries(dataDir, 1000)).map((f) => [f.runId, f]));
  const closed = new Set<string>();
  for (const [runId, row] of recorded) {
    if (row.outcome !== 'running') continue;
    const file = files.get(runId);
    if (file && file.outcome !== 'running') {
      await db.run(`UPDATE ops.runs SET outcome = $1, finished_at = $2::TIMESTAMPTZ::TIMESTAMP, summary = $3 WHERE run_id = $4`, [
        file.outcome, file.finishedAt, JSON.stringify(file), runId,
      ]);
      continue;
    }
    await db.run(`UPDATE ops.runs SET outcome = 'failed', summary = $1 WHERE run_id = $2`, [JSON.stringify({ errors: [error] }), runId]);
    closed.add(runId);
  }
  for (const [runId, file] of files) {
    if (file.outcome !== 'running' || runId === current) continue;
    const row = recorded.get(runId);
    const finished = row && row.outcome !== 'running' && row.summary ? (JSON.parse(row.summary) as LedgerEntry) : undefined;
    await writeFileDurably(join(dataDir, RUNS_DIR, `${runId}.json`), `${JSON.stringify(finished ?? { ...file, outcome: 'failed', errors: [error] }, null, 2)}\n`);
    if (!finished) closed.add(runId);
  }
  return [...closed];
}

/** When each configured source last brought new data, against its maximum age. */
export async function freshnessOf(db: Warehouse, config: Config, now = new Date()): Promise<Freshness[]> {
  const rows = await db.all<{ source: string; age_ms: number }>(
    `SELECT source, epoch_ms(current_timestamp::TIMESTAMP) - epoch_ms(max(landed_at)) AS age_ms FROM ops.landed_files GROUP BY source`,
  );
  return configuredSources(config).map(({ contract }) => {
    const maxAge = config.sources[contract.name as keyof Config['sources']]!.max_age_hours;
    const age = rows.find((r) => r.source === contract.name)?.age_ms;
    return {
      source: contract.name,
      last_new_data: age === undefined ? null : new Date(now.getTime() - age).toISOString(),
      max_age_hours: maxAge,
      stale: age === undefined || age > maxAge * 3_600_000,
    };
  });
}

/** The same judgement at another time (`cchc status` hours after the run). */
export function isStaleAt(freshness: Freshness, now: Date): boolean {
  return freshness.last_new_data === null || now.getTime() - Date.parse(freshness.last_new_data) > freshness.max_age_hours * 3_600_000;
}

export async function recordRun(db: Warehouse, summary: RunSummary): Promise<void> {
  await db.run(
    `INSERT OR REPLACE INTO ops.runs (run_id, started_at, finished_at, outcome, release_dir, summary, trigger)
     VALUES ($id, $started::TIMESTAMPTZ::TIMESTAMP, $finished::TIMESTAMPTZ::TIMESTAMP, $outcome, $release, $summary, $trigger)`,
    {
      id: summary.runId,
      started: summary.startedAt,
      finished: summary.finishedAt || null,
      outcome: summary.outcome,
      release: summary.stages.publish?.releaseDir ?? null,
      summary: JSON.stringify(summaryForFile(summary)),
      trigger: summary.trigger,
    },
  );
}
