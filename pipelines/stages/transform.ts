// Stage 3, transform: builds the SQL models of sql/ in dependency order, with the reporting
// settings of the config as DuckDB variables (getvariable('period_window') in the SQL).
import type { RunContext } from '../context.js';
import { buildModels, discoverModels } from '../models.js';
import { reportingVariables, writeSettings } from '../settings.js';

export type TransformResult = { models: number };

export async function transform(ctx: RunContext): Promise<TransformResult> {
  const log = ctx.log.child({ stage: 'transform' });
  const models = discoverModels();
  await writeSettings(ctx.db, ctx.config);
  const started = performance.now();
  await buildModels(ctx.db, models, reportingVariables(ctx.config), (model, ms) => {
    log.debug({ model: model.id, ms: Math.round(ms) }, 'model built');
  });
  log.info({ models: models.length, ms: Math.round(performance.now() - started) }, 'transform done');
  return { models: models.length };
}
