// One run of the nightly job: extract → load → transform → publish, under the run lock, recorded
// in the ledger (ops.runs and <data>/runs/<run_id>.json). Each source is extracted and loaded on
// its own: one that fails is reported with what to do, the others go on, and the models that read
// it keep the data of the last good run (marked stale in the manifest); the run is `partial`.
// A file that cannot be loaded fails its source; each load is its own transaction.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HASH_KEY, type Config } from '../config/load.js';
import { CONNECTORS, configuredSources, type ConfiguredSource } from '../connectors/registry.js';
import { generateSample } from '../sample/index.js';
import { sendAlert } from './ops/alert.js';
import { newRunId, STAGES, stopIfAsked, type RunContext, type StageName } from './context.js';
import { undoBuild } from './models/swap.js';
import { Warehouse } from '../core/warehouse.js';
import { CchcError, messageOf, RunInterrupted } from '../core/errors.js';
import { closeInterruptedRuns, freshnessOf, newSummary, recordRun, writeSummaryFile, type RunError, type RunSummary, type Trigger } from './ops/ledger.js';
import { acquireLock, RunLockedError } from './ops/lock.js';
import type { Logger } from '../core/log.js';
import { erasePersonalData } from './setup/privacy.js';
import { NO_PROGRESS, type Progress } from '../core/progress.js';
import { extractSource, type PullWindow } from './stages/extract.js';
import { groupFailures, loadSource, type LoadResult } from './stages/load.js';
import { describeQuarantine, rowsQuarantined } from './stages/quarantine.js';
import { publish } from './stages/publish.js';
import { transform } from './stages/transform.js';
import { explainResourceFailure } from './ops/resources.js';
import { failpoint } from './ops/signals.js';
import { deploymentReference, prepareWarehouse } from './setup/layout.js';

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
};

export async function runJob(config: Config, log: Logger, options: RunOptions = {}): Promise<RunSummary> {
  const runId = newRunId();
  const runLog = log.child({ run_id: runId });
  const summary = newSummary({ runId, trigger: options.trigger ?? 'manual', pid: process.pid, startedAt: new Date().toISOString() });
  const dataDir = config.paths.dataDir;
  await mkdir(dataDir, { recursive: true });
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
  const dataDir = config.paths.dataDir;
  let stage: StageName | 'prepare' = 'prepare';
  let crash: unknown;
  let db: Warehouse | undefined;
  try {
    await writeSummaryFile(dataDir, summary);
    await generateSampleIfMissing(config, log);
    db = await Warehouse.open(config.paths.warehouse, {
      threads: config.duckdb.threads,
      memory_limit: config.duckdb.memory_limit,
      temp_directory: config.paths.tempDir,
    });
    // Under the run lock and DuckDB's lock on the warehouse: no other run is landing.
    await removeLeftovers(config.paths.landing, config.paths.tempDir);
    await prepareWarehouse(db, CONNECTORS, { sqlDir: config.paths.sqlDir, hashKey: config.secrets.get(HASH_KEY), reference: deploymentReference(config) });
    const interrupted = await closeInterruptedRuns(db, dataDir, summary.runId);
    if (interrupted.length > 0) log.warn({ runs: interrupted }, 'runs left unfinished by a process that ended were marked failed');
    const undone = await undoBuild(db);
    if (undone.length > 0) log.warn({ models: undone }, 'a build left unfinished was undone: the models of the last good run are back');
    await recordRun(db, summary);
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
    const failed = new Map<string, RunError>();
    const fail = (source: ConfiguredSource, error: RunError) => {
      failed.set(source.contract.name, error);
      summary.sources[source.contract.name]!.outcome = 'failed';
      summary.errors.push(error);
    };
    for (const s of ctx.sources) summary.sources[s.contract.name] = { outcome: 'success' };

    for (stage of options.only ? [options.only] : STAGES) {
      stopIfAsked(ctx);
      failpoint(stage);
      const started = performance.now();
      if (stage === 'extract') {
        summary.stages.extract = { landed: 0, skipped: 0, ignored: [] };
        for (const source of ctx.sources) {
          const at = performance.now();
          try {
            const result = await extractSource(ctx, source, options.backfill);
            summary.stages.extract.landed += result.landed;
            summary.stages.extract.skipped += result.skipped;
            summary.stages.extract.ignored.push(...result.ignored);
            summary.sources[source.contract.name]!.extract = { landed: result.landed, skipped: result.skipped, ms: Math.round(performance.now() - at) };
          } catch (error) {
            if (!(error instanceof CchcError) || error instanceof RunInterrupted) throw error;
            fail(source, { stage, source: source.contract.name, message: error.message, action: error.action });
            log.error({ stage, source: source.contract.name, err: error.message, action: error.action }, 'source failed: the other sources go on');
          }
        }
      }
      if (stage === 'load') {
        const total: LoadResult = (summary.stages.load = { loads: [], failures: [], failedBefore: [], released: [] });
        for (const source of ctx.sources.filter((s) => !failed.has(s.contract.name))) {
          const name = source.contract.name;
          const at = performance.now();
          const result = await loadSource(ctx, source, { retryFailed: options.retryFailed ?? false });
          total.loads.push(...result.loads);
          total.failures.push(...result.failures);
          total.failedBefore.push(...result.failedBefore);
          total.released.push(...result.released);
          summary.sources[name]!.load = {
            files: result.loads.length + result.failures.length,
            rows_read: sum(result.loads.map((l) => l.rowsRead)),
            rows_loaded: sum(result.loads.map((l) => l.rowsLoaded)),
            rows_quarantined: sum(result.loads.map((l) => l.rowsQuarantined)),
            rows_released: sum(result.released.map((r) => r.rows)),
            failed_files: result.failures.length,
            ms: Math.round(performance.now() - at),
          };
          const errors = groupFailures(result.failures).map(({ message, action }) => ({ stage, source: name, message, action }));
          const quarantine = result.quarantine!;
          summary.sources[name]!.quarantine = quarantine;
          if (quarantine.over_limit) errors.push({ stage, source: name, ...describeQuarantine(name, quarantine) });
          else if (rowsQuarantined(quarantine) > 0) {
            const { message, action } = describeQuarantine(name, quarantine);
            summary.warnings.push(`${message}\n  → ${action}`);
          }
          for (const [i, error] of errors.entries()) {
            if (i === 0) fail(source, error);
            else summary.errors.push(error);
          }
          if (result.failedBefore.length > 0) {
            summary.warnings.push(`${source.contract.name}: not loaded, as in an earlier run (see ops.load_failures; --retry-failed tries them again): ${result.failedBefore.join(', ')}`);
          }
        }
        const days = config.privacy.erase_personal_after_days;
        if (days !== undefined) {
          const erased = await erasePersonalData(db, CONNECTORS, days);
          if (erased.loads > 0) log.info({ stage, days, ...erased }, 'personal data erased from the loads older than the retention');
        }
      }
      // With every source failed there is nothing new to build or publish.
      if (ctx.sources.length > 0 && failed.size === ctx.sources.length) break;
      if (stage === 'transform') {
        const result = (summary.stages.transform = await transform(ctx, { select: options.select, failedSources: [...failed.keys()], fullRefresh: options.fullRefresh ?? false }));
        if (result.blocking.length > 0) {
          summary.errors.push({
            stage,
            message: `${result.blocking.length} data test${result.blocking.length > 1 ? 's' : ''} failed: ${result.blocking.map((t) => `${t.name} (${t.failingRows} rows)`).join('; ')}`,
            action: 'see ops.test_results for a sample of the failing rows; the build was undone (new rows merged into the incremental staging are kept) and the published release was not changed',
          });
          break;
        }
      }
      if (stage === 'publish' && options.select) {
        // Models beyond the selection were not rebuilt: publishing would mix old and new figures.
        log.info({ select: options.select }, 'a partial build (--select) is not published; run without --select to publish');
      } else if (stage === 'publish') {
        const kept = summary.stages.transform?.kept ?? [];
        const because = [...failed.keys()].map((s) => `source ${s} failed in run ${summary.runId}`).join('; ');
        summary.stages.publish = await publish(ctx, { stale: new Map(kept.map((id) => [id, `${because}: the data of the last good run`])) });
      }
      summary.stageMs[stage] = Math.round(performance.now() - started);
    }
  } catch (thrown) {
    // A full disk or DuckDB's memory limit is the operator's to fix; any other unexpected error
    // is recorded as a failure too, then thrown on for its stack trace.
    const error = await explainResourceFailure(thrown, config);
    const known = error instanceof CchcError;
    const action = known ? error.action : 'this is a bug of cchc-warehouse: report it with the log of the run';
    summary.errors.push({ stage, message: messageOf(error), action });
    if (error instanceof RunInterrupted) summary.stoppedBy = error.signal;
    log.error({ stage, err: messageOf(error), action }, error instanceof RunInterrupted ? 'run stopped' : 'run failed');
    if (!known) crash = error;
  } finally {
    summary.outcome = outcomeOf(summary);
    summary.finishedAt = new Date().toISOString();
    if (db) await noteFreshness(db, config, summary).catch((error) => log.error({ err: messageOf(error) }, 'could not read the freshness of the sources'));
    // The file first: it is small, while DuckDB may grow the warehouse when it records the run and
    // checkpoints at close (a run that dies in between keeps the outcome of its file: see
    // closeInterruptedRuns). Neither is thrown: on a full disk the run still ends as a failure, with its alert.
    await writeSummaryFile(dataDir, summary).catch((error) => log.error({ err: messageOf(error) }, 'could not write the run summary file'));
    failpoint('summary-written');
    if (db) {
      await recordRun(db, summary).catch((error) => log.error({ err: messageOf(error) }, 'could not record the run in ops.runs'));
      db.close();
    }
  }
  if (crash) throw crash;
  const ms = Date.parse(summary.finishedAt) - Date.parse(summary.startedAt);
  log.info({ outcome: summary.outcome, ms, warnings: summary.warnings.length > 0 ? summary.warnings : undefined }, 'run finished');
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

async function generateSampleIfMissing(config: Config, log: Logger): Promise<void> {
  if (!config.sample?.generate_if_missing || Object.values(config.paths.inboxes).every((inbox) => existsSync(inbox))) return;
  log.info({ out: config.paths.sampleOut }, 'no sample exports yet: generating them');
  const sample = await generateSample(config.paths.sampleOut!, { seed: config.sample.seed, register: config.register, plan: config.sample.plan });
  log.info(sample, 'sample exports written');
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

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
