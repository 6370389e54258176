// One run of the nightly job: extract → load → transform → publish, under the run lock, recorded
// in the ledger (ops.runs and <data>/runs/<run_id>.json). Each source is extracted and loaded on
// its own: one that fails is reported with what to do, the others go on, and the models that read
// it keep the data of the last good run (marked stale in the manifest); the run is `partial`.
// A file that cannot be loaded fails its source; each load is its own transaction.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HASH_KEY, type Config } from '../config/load.js';
import { CONNECTORS, configuredSources, type ConfiguredSource } from '../connectors/registry.js';
import { CchcError, messageOf, RunInterrupted } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { NO_PROGRESS, type Progress } from '../core/progress.js';
import { Warehouse } from '../core/warehouse.js';
import { newRunId, STAGES, stopIfAsked, type RunContext, type StageName } from './context.js';
import { undoBuild } from './models/swap.js';
import { sendAlert } from './ops/alert.js';
import { closeInterruptedRuns, freshnessOf, newSummary, recordRun, writeSummaryFile, type RunSummary, type Trigger } from './ops/ledger.js';
import { acquireLock, RunLockedError } from './ops/lock.js';
import { explainResourceFailure } from './ops/resources.js';
import { failpoint } from './ops/signals.js';
import { deploymentReference, prepareWarehouse } from './setup/layout.js';
import { closeDataDir, PRIVATE_UMASK } from './setup/modes.js';
import type { PullWindow } from './stages/extract.js';
import { runStep, type StageReport } from './steps.js';

export type { RunSummary } from './ops/ledger.js';

export type RunOptions = {
  only?: StageName | undefined;
  sources?: string[] | undefined;
  retryFailed?: boolean;
  /** Build only these models (see selectModels), and test them. */
  select?: string[] | undefined;
  /** Rebuild the incremental models from all of raw. */
  fullRefresh?: boolean;
  trigger?: Trigger;
  /** Pull this window of the APIs instead of pulling from the cursors (`cchc backfill`). */
  backfill?: PullWindow;
  /** Aborting it stops the run at the next file or stage boundary (SIGTERM, SIGINT). */
  signal?: AbortSignal;
  progress?: Progress;
  /** Called under the run lock before the warehouse opens: `cchc run` writes the sample exports there when the config asks for them. */
  prepareInboxes?: (log: Logger) => Promise<void>;
};

export async function runJob(config: Config, log: Logger, options: RunOptions = {}): Promise<RunSummary> {
  const runId = newRunId();
  const runLog = log.child({ run_id: runId });
  const summary = newSummary({ runId, trigger: options.trigger ?? 'manual', pid: process.pid, startedAt: new Date().toISOString() });
  const dataDir = config.paths.dataDir;
  // Everything the run creates is private unless published (setup/modes.ts): the landing zone
  // and the warehouse hold citizens' personal data.
  process.umask(PRIVATE_UMASK);
  await mkdir(dataDir, { recursive: true });
  await closeDataDir(config);
  let lock;
  try {
    lock = await acquireLock(dataDir, { run_id: runId, trigger: summary.trigger, started_at: summary.startedAt }, runLog);
  } catch (error) {
    if (!(error instanceof RunLockedError)) throw error;
    summary.outcome = 'skipped';
    summary.finishedAt = new Date().toISOString();
    summary.errors.push({ stage: 'lock', message: error.message, action: error.action });
    await writeSummaryFile(dataDir, summary);
    runLog.warn({ holder: error.holder }, 'run skipped: another run is in progress');
    await alert(config, summary, runLog);
    return summary;
  }
  try {
    await runLocked(config, runLog, options, summary);
  } finally {
    await lock.release();
    await alert(config, summary, runLog);
  }
  return summary;
}

/** Sends the alert the run calls for, if any; one that cannot be sent is noted in the ledger, never thrown. */
async function alert(config: Config, summary: RunSummary, log: Logger): Promise<void> {
  try {
    const alerted = await sendAlert(config.alerts, summary, log);
    if (alerted && !alerted.sent) {
      summary.warnings.push(`the alert could not be sent to the webhook: ${alerted.error}`);
      await writeSummaryFile(config.paths.dataDir, summary);
    }
  } catch (error) {
    log.error({ err: messageOf(error) }, 'the alert failed');
  }
}

async function runLocked(config: Config, log: Logger, options: RunOptions, summary: RunSummary): Promise<void> {
  let stage: StageName | 'prepare' = 'prepare';
  let crash: unknown;
  let db: Warehouse | undefined;
  try {
    await writeSummaryFile(config.paths.dataDir, summary);
    await options.prepareInboxes?.(log);
    db = await Warehouse.open(config.paths.warehouse, {
      threads: config.duckdb.threads,
      memory_limit: config.duckdb.memory_limit,
      temp_directory: config.paths.tempDir,
    });
    await prepareRun(db, config, log, summary);
    const ctx: RunContext = {
      runId: summary.runId,
      config,
      db,
      log,
      sources: selectSources(config, options.sources),
      signal: options.signal ?? new AbortController().signal,
      progress: options.progress ?? NO_PROGRESS,
    };
    log.info({ trigger: summary.trigger, sources: ctx.sources.map((s) => s.contract.name), warehouse: config.paths.warehouse, backfill: options.backfill }, 'run started');
    for (const s of ctx.sources) summary.sources[s.contract.name] = { outcome: 'success' };
    const failed = new Set<string>();
    for (stage of options.only ? [options.only] : STAGES) {
      stopIfAsked(ctx);
      failpoint(stage);
      const started = performance.now();
      const report: StageReport = {};
      try {
        await runStep(stage, ctx, options, { failed, summary }, report);
      } finally {
        addReport(summary, stage, report, failed);
      }
      summary.stageMs[stage] = Math.round(performance.now() - started);
      // With every source failed there is nothing new to build or publish.
      if (report.stop || (ctx.sources.length > 0 && failed.size === ctx.sources.length)) break;
    }
  } catch (thrown) {
    crash = await recordFailure(thrown, stage, config, log, summary);
  } finally {
    await closeRun(db, config, log, summary);
  }
  if (crash) throw crash;
  const ms = Date.parse(summary.finishedAt) - Date.parse(summary.startedAt);
  log.info({ outcome: summary.outcome, ms, warnings: summary.warnings.length > 0 ? summary.warnings : undefined }, 'run finished');
}

/** Brings the warehouse to a state a run can start from: the layout of this version, no run or build left half-done. */
async function prepareRun(db: Warehouse, config: Config, log: Logger, summary: RunSummary): Promise<void> {
  // Under the run lock and DuckDB's lock on the warehouse: no other run is landing.
  await removeLeftovers(config.paths.landing, config.paths.tempDir);
  await prepareWarehouse(db, CONNECTORS, { sqlDir: config.paths.sqlDir, hashKey: config.secrets.get(HASH_KEY), reference: deploymentReference(config) });
  const interrupted = await closeInterruptedRuns(db, config.paths.dataDir, summary.runId);
  if (interrupted.length > 0) log.warn({ runs: interrupted }, 'runs left unfinished by a process that ended were marked failed');
  const undone = await undoBuild(db);
  if (undone.length > 0) log.warn({ models: undone }, 'a build left unfinished was undone: the models of the last good run are back');
  await recordRun(db, summary);
}

/** A stage's report, added to the run summary: an error that names a source fails that source. */
function addReport(summary: RunSummary, stage: StageName, report: StageReport, failed: Set<string>): void {
  if (report.result) (summary.stages as Record<StageName, unknown>)[stage] = report.result;
  for (const [name, part] of Object.entries(report.sources ?? {})) Object.assign(summary.sources[name]!, part);
  for (const error of report.errors ?? []) {
    summary.errors.push(error);
    if (error.source) {
      failed.add(error.source);
      summary.sources[error.source]!.outcome = 'failed';
    }
  }
  summary.warnings.push(...(report.warnings ?? []));
}

/**
 * A full disk or DuckDB's memory limit is the operator's to fix; any other unexpected error is
 * recorded as a failure too, and handed back to be thrown on for its stack trace.
 */
async function recordFailure(thrown: unknown, stage: string, config: Config, log: Logger, summary: RunSummary): Promise<unknown> {
  const error = await explainResourceFailure(thrown, config);
  const known = error instanceof CchcError;
  const action = known ? error.action : 'this is a bug of cchc-warehouse: report it with the log of the run';
  summary.errors.push({ stage, message: messageOf(error), action });
  if (error instanceof RunInterrupted) summary.stoppedBy = error.signal;
  log.error({ stage, err: messageOf(error), action }, error instanceof RunInterrupted ? 'run stopped' : 'run failed');
  return known ? undefined : error;
}

/**
 * The run's end, in its file first: it is small, while DuckDB may grow the warehouse when it
 * records the run and checkpoints at close (a run that dies in between keeps the outcome of its
 * file: see closeInterruptedRuns). Nothing here is thrown: on a full disk the run still ends as a
 * failure, with its alert.
 */
async function closeRun(db: Warehouse | undefined, config: Config, log: Logger, summary: RunSummary): Promise<void> {
  summary.outcome = outcomeOf(summary);
  summary.finishedAt = new Date().toISOString();
  if (db) await noteFreshness(db, config, summary).catch((error) => log.error({ err: messageOf(error) }, 'could not read the freshness of the sources'));
  await writeSummaryFile(config.paths.dataDir, summary).catch((error) => log.error({ err: messageOf(error) }, 'could not write the run summary file'));
  failpoint('summary-written');
  if (db) {
    await recordRun(db, summary).catch((error) => log.error({ err: messageOf(error) }, 'could not record the run in ops.runs'));
    db.close();
  }
}

/** Failed when the run as a whole failed or every source did; partial when some sources did. */
function outcomeOf(summary: RunSummary): RunSummary['outcome'] {
  if (summary.errors.some((e) => !e.source)) return 'failed';
  const reports = Object.values(summary.sources);
  const failed = reports.filter((r) => r.outcome === 'failed').length;
  if (failed === 0) return 'success';
  return failed === reports.length ? 'failed' : 'partial';
}

async function noteFreshness(db: Warehouse, config: Config, summary: RunSummary): Promise<void> {
  summary.freshness = await freshnessOf(db, config);
  for (const f of summary.freshness.filter((x) => x.stale)) {
    summary.warnings.push(
      f.last_new_data
        ? `${f.source} is stale: no new data since ${f.last_new_data} (more than ${f.max_age_hours} h); check that the source system still exports`
        : `${f.source} is stale: no data has ever arrived from it`,
    );
  }
}

/** Temporary files of a landing killed half-way: only the run holding the lock lands, so they are dead. */
/** What a killed run leaves: files half-landed, and the UTF-8 copies of legacy-encoded exports it was reading. */
async function removeLeftovers(landing: string, tempDir: string): Promise<void> {
  for (const [dir, suffix] of [[landing, '.tmp'], [tempDir, '.utf8.csv']] as const) {
    const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith(suffix))) await rm(join(dir, name), { force: true });
  }
}

function selectSources(config: Config, names: string[] | undefined): ConfiguredSource[] {
  const sources = configuredSources(config);
  if (!names) return sources;
  const unknown = names.filter((n) => !sources.some((s) => s.contract.name === n));
  if (unknown.length > 0) {
    throw new CchcError(`unknown or disabled source(s): ${unknown.join(', ')}`, {
      action: `choose among: ${sources.map((s) => s.contract.name).join(', ')}`,
    });
  }
  return sources.filter((s) => names.includes(s.contract.name));
}
