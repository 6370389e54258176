// One run of the nightly job: extract → load → transform → publish, recorded in ops.runs.
// A file that cannot be loaded stops the run before transform, so the published release stays
// the last good one; the other files' loads are kept (each is its own transaction).
import { existsSync } from 'node:fs';
import type { Config } from '../config/load.js';
import { CONNECTORS, configuredSources } from '../connectors/registry.js';
import { generateSample } from '../connectors/sample/index.js';
import { newRunId, STAGES, type RunContext, type StageName } from './context.js';
import { Warehouse } from './db.js';
import { CchcError } from './errors.js';
import type { Logger } from './log.js';
import { extract, type ExtractResult } from './stages/extract.js';
import { load, type LoadResult } from './stages/load.js';
import { publish, type PublishResult } from './stages/publish.js';
import { transform, type TransformResult } from './stages/transform.js';
import { prepareWarehouse } from './warehouse.js';

export type RunOptions = {
  only?: StageName | undefined;
  sources?: string[] | undefined;
  retryFailed?: boolean;
  /** Build only these models (see selectModels), and test them. */
  select?: string[] | undefined;
};

export type RunSummary = {
  runId: string;
  outcome: 'success' | 'failed';
  startedAt: string;
  finishedAt: string;
  stages: { extract?: ExtractResult; load?: LoadResult; transform?: TransformResult; publish?: PublishResult };
  errors: { stage: string; message: string; action: string }[];
};

export async function runJob(config: Config, log: Logger, options: RunOptions = {}): Promise<RunSummary> {
  const runId = newRunId();
  const runLog = log.child({ run_id: runId });
  const summary: RunSummary = { runId, outcome: 'success', startedAt: new Date().toISOString(), finishedAt: '', stages: {}, errors: [] };
  await generateSampleIfMissing(config, runLog);

  const db = await Warehouse.open(config.paths.warehouse, {
    threads: config.duckdb.threads,
    memory_limit: config.duckdb.memory_limit,
    temp_directory: config.paths.tempDir,
  });
  let stage: StageName | 'prepare' = 'prepare';
  let crash: unknown;
  try {
    await prepareWarehouse(db, CONNECTORS, config.paths.sqlDir);
    await db.run(`INSERT INTO ops.runs (run_id, started_at, outcome) VALUES ($1, current_timestamp, 'running')`, [runId]);
    const ctx: RunContext = { runId, config, db, log: runLog, sources: selectSources(config, options.sources) };
    runLog.info({ sources: ctx.sources.map((s) => s.contract.name), warehouse: config.paths.warehouse }, 'run started');

    for (stage of options.only ? [options.only] : STAGES) {
      if (stage === 'extract') summary.stages.extract = await extract(ctx);
      if (stage === 'load') {
        summary.stages.load = await load(ctx, { retryFailed: options.retryFailed ?? false });
        for (const failure of summary.stages.load.failures) {
          summary.errors.push({ stage, message: failure.error, action: failure.action });
        }
        if (summary.stages.load.failures.length > 0) break;
      }
      if (stage === 'transform') {
        summary.stages.transform = await transform(ctx, { select: options.select });
        const blocking = summary.stages.transform.blocking;
        if (blocking.length > 0) {
          summary.errors.push({
            stage,
            message: `${blocking.length} data test${blocking.length > 1 ? 's' : ''} failed: ${blocking.map((t) => `${t.name} (${t.failingRows} rows)`).join('; ')}`,
            action: 'see ops.test_results for a sample of the failing rows; the models were rolled back and the published release was not changed',
          });
          break;
        }
      }
      if (stage === 'publish' && options.select) {
        // Models beyond the selection were not rebuilt: publishing would mix old and new figures.
        runLog.info({ select: options.select }, 'a partial build (--select) is not published; run without --select to publish');
      } else if (stage === 'publish') summary.stages.publish = await publish(ctx);
    }
  } catch (error) {
    // An unexpected error is recorded as a failure too, then thrown on for its stack trace.
    const known = error instanceof CchcError;
    const action = known ? error.action : 'this is a bug of cchc-warehouse: report it with the log of the run';
    summary.errors.push({ stage, message: (error as Error).message, action });
    runLog.error({ stage, err: (error as Error).message, action }, 'run failed');
    if (!known) crash = error;
  } finally {
    summary.outcome = summary.errors.length > 0 ? 'failed' : 'success';
    summary.finishedAt = new Date().toISOString();
    await recordRun(db, summary).catch((error) => runLog.error({ err: (error as Error).message }, 'could not record the run in ops.runs'));
    db.close();
  }
  if (crash) throw crash;
  runLog.info({ outcome: summary.outcome, ms: Date.parse(summary.finishedAt) - Date.parse(summary.startedAt) }, 'run finished');
  return summary;
}

async function generateSampleIfMissing(config: Config, log: Logger): Promise<void> {
  if (!config.sample?.generate_if_missing || Object.values(config.paths.inboxes).every((inbox) => existsSync(inbox))) return;
  log.info({ out: config.paths.sampleOut }, 'no sample exports yet: generating them');
  const sample = await generateSample(config.paths.sampleOut!, config.sample.seed);
  log.info(sample, 'sample exports written');
}

function selectSources(config: Config, names: string[] | undefined): RunContext['sources'] {
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

async function recordRun(db: Warehouse, summary: RunSummary): Promise<void> {
  await db.run(
    `UPDATE ops.runs SET finished_at = current_timestamp, outcome = $outcome, release_dir = $release, summary = $summary WHERE run_id = $id`,
    {
      id: summary.runId,
      outcome: summary.outcome,
      release: summary.stages.publish?.releaseDir ?? null,
      summary: JSON.stringify({ errors: summary.errors, loads: summary.stages.load?.loads.length ?? 0 }),
    },
  );
}
