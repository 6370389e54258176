// Building the models in order, each under a temporary name then swapped in (swap.ts), with the
// header's descriptions as DuckDB comments.
import { messageOf, ModelError } from '../../core/errors.js';
import { ident, literal, type Warehouse } from '../../core/warehouse.js';
import type { Model } from './graph.js';
import { columnDescriptions } from './header.js';
import { buildIncremental } from './incremental.js';
import { swapIn } from './swap.js';

export type BuildOptions = {
  /** Rebuild incremental models from all of raw, as if for the first time. */
  fullRefresh?: boolean;
  onModel?: (model: Model, ms: number, how: Build) => void;
  /** Every model, when `models` is a selection: a parted model reads others' SQL (partitions.ts). */
  all?: readonly Model[];
};

/** How a model was built: from scratch, by merging new raw rows, or left as it was (no new rows). */
export type Build = 'full' | 'increment' | 'unchanged';

/**
 * Builds the models in order, each committed and swapped in on its own (swap.ts). The
 * caller keeps the build (keepBuild) or undoes it (undoBuild) once it has tested it.
 */
export async function buildModels(db: Warehouse, models: readonly Model[], options: BuildOptions = {}): Promise<void> {
  for (const model of models) {
    const started = performance.now();
    let how: Build = 'full';
    try {
      if (model.materialized === 'incremental') how = await buildIncremental(db, model, options.fullRefresh ?? false, options.all ?? models);
      else await buildWhole(db, model);
    } catch (error) {
      if (error instanceof ModelError) throw error;
      throw new ModelError(`${model.file}: ${messageOf(error)}`, { action: 'fix the model SQL (run it alone in DuckDB to see where)', cause: error });
    }
    options.onModel?.(model, performance.now() - started, how);
  }
}

/** The model built from all of its inputs, under a temporary name, then swapped in. */
export async function buildWhole(db: Warehouse, model: Model, afterSwap?: () => Promise<void>): Promise<void> {
  const kind = model.materialized === 'view' ? 'VIEW' : 'TABLE';
  await swapIn(db, { schema: model.schema, name: model.name, kind, ...(afterSwap && { afterSwap }) }, async (target) => {
    await db.run(`CREATE ${kind} ${target} AS\n${model.sql}`);
    await commentOn(db, model, target, kind);
  });
}

/** Writes the header's descriptions as DuckDB comments on `target` (the model, or its copy in a snapshot). */
export async function commentOn(db: Warehouse, model: Model, target: string, kind: 'TABLE' | 'VIEW' = model.materialized === 'view' && target === model.id ? 'VIEW' : 'TABLE'): Promise<void> {
  await db.run(`COMMENT ON ${kind} ${target} IS ${literal(`${model.header.description.trim()} Grain: ${model.header.grain.trim()}`)}`);
  const columns = new Set(
    (await db.all<{ column_name: string }>(`SELECT column_name FROM (DESCRIBE ${target})`)).map((c) => c.column_name),
  );
  for (const name of Object.keys(model.header.columns)) {
    if (!columns.has(name)) {
      throw new ModelError(`${model.file}: the header describes column "${name}", which the model does not return`, {
        action: 'remove it from the header or correct its name',
      });
    }
  }
  for (const [name, description] of Object.entries(columnDescriptions(model, columns))) {
    await db.run(`COMMENT ON COLUMN ${target}.${ident(name)} IS ${literal(description.trim())}`);
  }
}
