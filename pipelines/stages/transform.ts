// Stage 3, transform: builds the SQL models of sql/ in dependency order, with the settings of the
// config written as `settings` tables, then runs their data tests. When a test of severity
// `error` fails, the build is undone (models/swap.ts): the warehouse keeps the models of the
// last good run, and the run stops before publishing.
import { messageOf } from '../../core/errors.js';
import type { RunContext } from '../context.js';
import { buildModels, type Build } from '../models/build.js';
import { changedRows, recordTestResults, runDataTests, testsOf, type TestResult } from '../models/data-tests.js';
import { discoverModels } from '../models/graph.js';
import { modelsReadingSources, selectModels } from '../models/selection.js';
import { writeSettings } from '../models/settings.js';
import { keepBuild, undoBuild } from '../models/swap.js';

export type TransformResult = {
  models: number;
  /** Models not rebuilt because a source they read failed: they keep the data of the last good run. */
  kept: string[];
  tests: TestResult[];
  /** Tests of severity error that failed: publication is blocked. */
  blocking: TestResult[];
  /** How the figures of the reference report compare (rpt_reconciliation), when it was built. */
  reconciliation?: Record<'match' | 'mismatch' | 'inconsistent_in_source', number>;
};

export type TransformOptions = {
  select?: readonly string[] | undefined;
  /** Sources that failed in this run: the models that read them are left as they are. */
  failedSources?: readonly string[];
  /** Rebuild the incremental models from all of raw (`cchc run --full-refresh`). */
  fullRefresh?: boolean;
};

export async function transform(ctx: RunContext, options: TransformOptions = {}): Promise<TransformResult> {
  const log = ctx.log.child({ stage: 'transform' });
  const sqlDir = ctx.config.paths.sqlDir;
  const all = discoverModels(sqlDir);
  const kept = modelsReadingSources(all, options.failedSources ?? []);
  const models = (options.select ? selectModels(all, options.select) : all).filter((m) => !kept.has(m.id));
  // A test that reads a kept model would compare this run's figures with the last run's.
  const tests = testsOf(models, sqlDir, all).filter((t) => !t.reads.some((id) => kept.has(id)));
  if (kept.size > 0) log.warn({ sources: options.failedSources, models: [...kept] }, 'models that read a failed source keep the data of the last good run');
  const started = performance.now();
  const incremental: Record<string, Build> = {};
  // The tables and views built whole before, left as they were: nothing they read changed.
  const unchanged: string[] = [];
  let results: TestResult[];
  try {
    // The settings the models read are undone with them.
    await writeSettings(ctx.db, ctx.config);
    ctx.progress.start('transform', models.length, 'models');
    await buildModels(ctx.db, models, {
      fullRefresh: options.fullRefresh ?? false,
      all,
      onModel: (model, ms, how) => {
        ctx.progress.advance(model.id);
        log.debug({ model: model.id, ms: Math.round(ms), build: how }, 'model built');
        if (model.materialized === 'incremental' && how !== 'full') incremental[model.id] = how;
        else if (how === 'unchanged') unchanged.push(model.id);
      },
    });
    ctx.progress.end();
    results = await runDataTests(ctx.db, tests, await changedRows(ctx.db, models, incremental));
  } catch (error) {
    // The build's own error is what the operator needs; an undo that fails too is logged, and
    // the next run undoes the build again.
    await undoBuild(ctx.db).catch((undoError: unknown) => log.error({ err: messageOf(undoError) }, 'the failed build could not be undone: the next run undoes it'));
    throw error;
  }
  if (results.some(isBlocking)) await undoBuild(ctx.db);
  else await keepBuild(ctx.db);
  // An undone build put back tables these results do not vouch for: no change recorded, and the
  // next run tests them whole.
  await recordTestResults(ctx.db, ctx.runId, results, results.some(isBlocking) ? null : await lastChange(ctx));

  const blocking = results.filter(isBlocking);
  for (const r of results.filter((t) => t.status === 'fail')) {
    const fields = { test: r.name, severity: r.severity, failing_rows: r.failingRows, sample: r.sample };
    if (r.severity === 'error') log.error(fields, 'data test failed: publication blocked');
    else log.warn(fields, 'data test found rows to look at');
  }
  const reconciled = ctx.config.reporting.reconcile_published_figures && models.some((m) => m.id === 'marts.rpt_reconciliation');
  const reconciliation = blocking.length === 0 && reconciled ? await reconcile(ctx) : undefined;
  if (reconciliation) log.info(reconciliation, 'figures of the reference report compared');
  log.info(
    { models: models.length, incremental, unchanged, tests: results.length, failed: blocking.length, warned: results.filter((r) => r.status === 'fail' && r.severity === 'warn').length, ms: Math.round(performance.now() - started) },
    blocking.length > 0 ? 'transform rolled back' : 'transform done',
  );
  return { models: models.length, kept: [...kept], tests: results, blocking, ...(reconciliation && { reconciliation }) };
}

async function reconcile(ctx: RunContext): Promise<TransformResult['reconciliation']> {
  const counts = await ctx.db.all<{ status: string; n: number }>('SELECT status, count(*) AS n FROM marts.rpt_reconciliation GROUP BY status');
  const count = (status: string) => counts.find((c) => c.status === status)?.n ?? 0;
  return { match: count('match'), mismatch: count('mismatch'), inconsistent_in_source: count('inconsistent_in_source') };
}

async function lastChange(ctx: RunContext): Promise<number> {
  return Number((await ctx.db.one<{ id: number }>('SELECT coalesce(max(change_id), 0) AS id FROM ops.model_changes'))!.id);
}

function isBlocking(result: TestResult): boolean {
  return result.status === 'fail' && result.severity === 'error';
}
