// The four stages as steps of a run: each runs its stage over the run's sources and fills its
// report (its result, what it says of each source, its errors and warnings), which run.ts adds
// to the run summary, also when the step is cut short (a stop signal, a full disk): what the
// sources before had done stays in the ledger. An error that names a source fails that source
// only; the others go on.
import { CONNECTORS, type ConfiguredSource } from '../connectors/registry.js';
import { CchcError, RunInterrupted } from '../core/errors.js';
import type { StageName, RunContext } from './context.js';
import type { RunError, RunSummary, SourceReport } from './ops/ledger.js';
import { erasePersonalData } from './setup/privacy.js';
import { extractSource, type ExtractResult, type PullWindow } from './stages/extract.js';
import { groupFailures, loadSource, type LoadResult } from './stages/load.js';
import { publish, type PublishResult } from './stages/publish.js';
import { describeQuarantine, rowsQuarantined } from './stages/quarantine-report.js';
import { transform, type TransformResult } from './stages/transform.js';

type Results = { extract: ExtractResult; load: LoadResult; transform: TransformResult; publish: PublishResult };

/** What a stage tells the run. */
export type StageReport<S extends StageName = StageName> = {
  /** Kept in the summary under the stage's name. */
  result?: Results[S];
  sources?: Record<string, Partial<SourceReport>>;
  /** Each fails its source, or, without a source, the run. */
  errors?: RunError[];
  warnings?: string[];
  /** Nothing after this stage may run (a data test of severity error failed). */
  stop?: boolean;
};

export type StepOptions = {
  backfill?: PullWindow | undefined;
  retryFailed?: boolean | undefined;
  select?: string[] | undefined;
  fullRefresh?: boolean | undefined;
};

/** What a step may read of the run so far: the sources that failed, and what the stages before reported. */
export type RunSoFar = { failed: ReadonlySet<string>; summary: Readonly<RunSummary> };

type Step<S extends StageName> = (ctx: RunContext, options: StepOptions, run: RunSoFar, report: StageReport<S>) => Promise<void>;

/** Runs the step of `stage`, which fills `report` as it goes. */
export function runStep(stage: StageName, ctx: RunContext, options: StepOptions, run: RunSoFar, report: StageReport): Promise<void> {
  // Each step's report is typed by its stage; here the stage is any of them.
  return (STEPS[stage] as unknown as Step<StageName>)(ctx, options, run, report);
}

const STEPS: { [S in StageName]: Step<S> } = {
  async extract(ctx, options, _run, report) {
    const result: ExtractResult = { landed: 0, skipped: 0, ignored: [] };
    Object.assign(report, { result, sources: {}, errors: [] });
    for (const source of ctx.sources) {
      const at = performance.now();
      try {
        const extracted = await extractSource(ctx, source, options.backfill);
        result.landed += extracted.landed;
        result.skipped += extracted.skipped;
        result.ignored.push(...extracted.ignored);
        report.sources![source.contract.name] = { extract: { landed: extracted.landed, skipped: extracted.skipped, ms: since(at) } };
      } catch (error) {
        if (!(error instanceof CchcError) || error instanceof RunInterrupted) throw error;
        report.errors!.push({ stage: 'extract', source: source.contract.name, message: error.message, action: error.action });
        ctx.log.error({ stage: 'extract', source: source.contract.name, err: error.message, action: error.action }, 'source failed: the other sources go on');
      }
    }
  },

  async load(ctx, options, run, report) {
    const result: LoadResult = { loads: [], failures: [], failedBefore: [], released: [] };
    Object.assign(report, { result, sources: {}, errors: [], warnings: [] });
    for (const source of ctx.sources.filter((s) => !run.failed.has(s.contract.name))) {
      const at = performance.now();
      const loaded = await loadSource(ctx, source, { retryFailed: options.retryFailed ?? false });
      result.loads.push(...loaded.loads);
      result.failures.push(...loaded.failures);
      result.failedBefore.push(...loaded.failedBefore);
      result.released.push(...loaded.released);
      reportLoad(report, source, loaded, since(at));
    }
    const days = ctx.config.privacy.erase_personal_after_days;
    if (days !== undefined) {
      const erased = await erasePersonalData(ctx.db, CONNECTORS, days);
      if (erased.loads > 0) ctx.log.info({ stage: 'load', days, ...erased }, 'personal data erased from the loads older than the retention');
    }
  },

  async transform(ctx, options, run, report) {
    const result = (report.result = await transform(ctx, { select: options.select, failedSources: [...run.failed], fullRefresh: options.fullRefresh ?? false }));
    if (result.blocking.length === 0) return;
    const failing = result.blocking.map((t) => `${t.name} (${t.failingRows} rows)`).join('; ');
    const message = `${result.blocking.length} data test${result.blocking.length > 1 ? 's' : ''} failed: ${failing}`;
    const action = 'see ops.test_results for a sample of the failing rows; the build was undone (new rows merged into the incremental staging are kept) and the published release was not changed';
    Object.assign(report, { errors: [{ stage: 'transform', message, action }], stop: true });
  },

  async publish(ctx, options, run, report) {
    if (options.select) {
      // Models beyond the selection were not rebuilt: publishing would mix old and new figures.
      ctx.log.info({ select: options.select }, 'a partial build (--select) is not published; run without --select to publish');
      return;
    }
    const because = [...run.failed].map((s) => `source ${s} failed in run ${ctx.runId}`).join('; ');
    const kept = run.summary.stages.transform?.kept ?? [];
    const quarantine = Object.entries(run.summary.sources).flatMap(([name, source]) => (source.quarantine ? [[name, source.quarantine] as const] : []));
    report.result = await publish(ctx, {
      stale: new Map(kept.map((id) => [id, `${because}: the data of the last good run`])),
      quarantine: Object.fromEntries(quarantine),
    });
  },
};

/** A source's load in the report: its counts, its failed files and its quarantine (over the limits, the source fails). */
function reportLoad(report: StageReport<'load'>, source: ConfiguredSource, loaded: LoadResult, ms: number): void {
  const name = source.contract.name;
  const quarantine = loaded.quarantine!;
  report.sources![name] = {
    load: {
      files: loaded.loads.length + loaded.failures.length,
      rows_read: sum(loaded.loads.map((l) => l.rowsRead)),
      rows_loaded: sum(loaded.loads.map((l) => l.rowsLoaded)),
      rows_quarantined: sum(loaded.loads.map((l) => l.rowsQuarantined)),
      rows_released: sum(loaded.released.map((r) => r.rows)),
      failed_files: loaded.failures.length,
      ms,
    },
    quarantine,
  };
  report.errors!.push(...groupFailures(loaded.failures).map(({ message, action }) => ({ stage: 'load', source: name, message, action })));
  if (quarantine.over_limit) report.errors!.push({ stage: 'load', source: name, ...describeQuarantine(name, quarantine) });
  else if (rowsQuarantined(quarantine) > 0) {
    const { message, action } = describeQuarantine(name, quarantine);
    report.warnings!.push(`${message}\n  → ${action}`);
  }
  if (loaded.failedBefore.length > 0) {
    report.warnings!.push(`${name}: not loaded, as in an earlier run (see ops.load_failures; --retry-failed tries them again): ${loaded.failedBefore.join(', ')}`);
  }
}

function since(start: number): number {
  return Math.round(performance.now() - start);
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
