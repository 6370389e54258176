// Building the models in order, each under a temporary name then swapped in (swap.ts), with the
// header's descriptions as DuckDB comments.
import { messageOf, ModelError } from '../../core/errors.js';
import { ident, literal, type Warehouse } from '../../core/warehouse.js';
import type { Model } from './graph.js';
import { columnDescriptions } from './header.js';
import { buildIncremental } from './incremental.js';
import { commonInputs, signatureOf } from './inputs.js';
import { relations, swapIn, type ObjectKind } from './swap.js';

export type BuildOptions = {
  /** Rebuild incremental models from all of raw, as if for the first time. */
  fullRefresh?: boolean;
  onModel?: (model: Model, ms: number, how: Build) => void;
  /** Every model, when `models` is a selection: a parted model reads others' SQL (partitions.ts). */
  all?: readonly Model[];
};

/** How a model was built: from scratch, by merging new rows, or left as it was (nothing new to read). */
export type Build = 'full' | 'increment' | 'unchanged';

/**
 * Builds the models in order, each committed and swapped in on its own (swap.ts). The
 * caller keeps the build (keepBuild) or undoes it (undoBuild) once it has tested it.
 */
export async function buildModels(db: Warehouse, models: readonly Model[], options: BuildOptions = {}): Promise<void> {
  const all = options.all ?? models;
  const ids = new Set(all.map((m) => m.id));
  const common = models.length > 0 ? await commonInputs(db, models[0]!.sqlDir) : '';
  // As they were before this build: a model's own entry changes only when it is built.
  const built = new Map((await db.all<{ model: string; fingerprint: string }>('SELECT model, fingerprint FROM ops.model_state')).map((s) => [s.model, s.fingerprint]));
  const kinds = new Map((await relations(db)).map((r) => [`${r.schema}.${r.name}`, r.kind]));
  for (const model of models) {
    const started = performance.now();
    let how: Build;
    try {
      // What the warehouse holds under the model's name: only the model's own build changes it.
      const current = kinds.get(model.id) ?? null;
      how = model.materialized === 'incremental'
        ? await buildIncremental(db, model, options.fullRefresh ?? false, all, current)
        : await buildUnlessUnchanged(db, model, options.fullRefresh ?? false, await signatureOf(db, model, common, ids), { fingerprint: built.get(model.id), current });
    } catch (error) {
      if (error instanceof ModelError) throw error;
      throw new ModelError(`${model.file}: ${messageOf(error)}`, { action: 'fix the model SQL (run it alone in DuckDB to see where)', cause: error });
    }
    options.onModel?.(model, performance.now() - started, how);
  }
}

/** A table or view built whole, unless what it reads is what it was last built from (inputs.ts). */
async function buildUnlessUnchanged(db: Warehouse, model: Model, fullRefresh: boolean, signature: string, last: { fingerprint?: string | undefined; current: ObjectKind | null }): Promise<Build> {
  // A table dropped or replaced by hand since is built again.
  const kind = model.materialized === 'view' ? 'VIEW' : 'TABLE';
  if (!fullRefresh && last.fingerprint === signature && last.current === kind) return 'unchanged';
  await buildWhole(db, model, () => noteBuilt(db, model.id, signature), last.current);
  return 'full';
}

/**
 * Notes a model's build, in the transaction that swaps it in (swap.ts): what it was built from
 * (`fingerprint`), the last load or change it merged, and when, which the models read from it
 * take into their signatures.
 */
export async function noteBuilt(db: Warehouse, id: string, fingerprint: string, maxLoadId = 0): Promise<void> {
  await db.run('DELETE FROM ops.model_state WHERE model = $1', [id]);
  await db.run('INSERT INTO ops.model_state VALUES ($1, $2, $3, current_timestamp)', [id, fingerprint, maxLoadId]);
}

/** The model built from all of its inputs, under a temporary name, then swapped in over `current` (what the warehouse holds under its name). */
export async function buildWhole(db: Warehouse, model: Model, afterSwap: () => Promise<void>, current: ObjectKind | null): Promise<void> {
  const kind = model.materialized === 'view' ? 'VIEW' : 'TABLE';
  await swapIn(db, { schema: model.schema, name: model.name, kind, afterSwap, current }, async (target) => {
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
