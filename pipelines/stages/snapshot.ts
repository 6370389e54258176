// The DuckDB snapshot of a release: the published layers (seeds, settings, staging,
// intermediate, marts) as tables with their comments, never raw or ops, which hold personal data.
//
// A night adds thousands of dossiers to millions, so the snapshot does not copy the history
// again: it starts from a copy of the current release's snapshot, and each incremental model
// (materialized: incremental) is brought up to date by key, from the keys its merges changed
// since that snapshot was written (ops.model_changes, against ops.snapshot_state). Everything
// else is copied whole: it is small (as the models parted by period are), or rebuilt whole each
// night anyway. The copy is used only
// when it can be trusted: the model was not rebuilt from scratch since (same fingerprint, no
// full build noted), and the copied table has the rows it was written with.
import { constants, existsSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ident, literal, qualified, type Warehouse } from '../../core/warehouse.js';
import { commentOn } from '../models/build.js';
import { keysChangedSince } from '../models/incremental.js';
import { keepsReplaced, replacedTable } from '../models/partitions.js';
import { discoverModels, type Model } from '../models/graph.js';

export const SNAPSHOT_FILE = 'cchc.duckdb';
const SNAPSHOT_SCHEMAS = ['seeds', 'settings', 'staging', 'intermediate', 'marts'] as const;

type Base = { releaseDir: string; release: string };
type State = { model: string; fingerprint: string; change_id: number; rows: number };

/**
 * Writes the snapshot of release `release` at `path`, from the snapshot of `base` (the current
 * release) where it can; records what it holds for the next one. Returns how each incremental
 * table was written.
 */
export async function writeSnapshot(db: Warehouse, sqlDir: string, path: string, release: string, base?: Base): Promise<Record<string, 'by key' | 'whole'>> {
  const models = new Map(discoverModels(sqlDir).map((m) => [m.id, m]));
  const previous = base ? await db.all<State>('SELECT model, fingerprint, change_id, rows FROM ops.snapshot_state WHERE release = $1', [base.release]) : [];
  // A release whose snapshot is gone (deleted by hand) gives nothing to start from: all is copied whole.
  const from = base && join(base.releaseDir, SNAPSHOT_FILE);
  const copied = from !== undefined && previous.length > 0 && existsSync(from);
  if (copied) await copyFile(from, path, constants.COPYFILE_FICLONE); // a reflink on btrfs or XFS
  await db.run(`ATTACH ${literal(path)} AS snapshot (STORAGE_VERSION 'v1.0.0')`);
  const written: Record<string, 'by key' | 'whole'> = {};
  const states: State[] = [];
  try {
    const incremental = new Set([...models.values()].filter((m) => m.header.incremental?.unique_key && m.header.snapshot !== 'view').map((m) => m.id));
    // Of a copied snapshot only the incremental tables are worth keeping: the rest is written again.
    // Each step is one transaction: dozens of small DDL statements, each committed alone, cost a
    // night more than the rows they write.
    await db.transaction(() => dropAllBut(db, incremental));
    const tables: { schema: string; name: string; id: string }[] = [];
    for (const schema of SNAPSHOT_SCHEMAS) for (const name of await tablesOf(db, schema)) tables.push({ schema, name, id: `${schema}.${name}` });
    await db.transaction(async () => {
      for (const schema of SNAPSHOT_SCHEMAS) await db.run(`CREATE SCHEMA IF NOT EXISTS snapshot.${schema}`);
    });
    for (const model of tables.filter((t) => incremental.has(t.id)).map((t) => models.get(t.id)!)) {
      const target = `snapshot.${model.schema}.${ident(model.name)}`;
      const state = await currentState(db, model);
      const last = copied ? previous.find((p) => p.model === model.id) : undefined;
      const byKey = last && (await canUpdate(db, target, last, state));
      if (byKey) await updateByKey(db, model, target, last.change_id);
      else await db.run(`CREATE OR REPLACE TABLE ${target} AS SELECT * FROM ${qualified(model.id)}`);
      written[model.id] = byKey ? 'by key' : 'whole';
      states.push({ ...state, rows: (await db.one<{ n: number }>(`SELECT count(*) AS n FROM ${target}`))!.n });
      await commentOn(db, model, target);
    }
    await db.transaction(async () => {
      const views: Model[] = [];
      for (const { schema, name, id } of tables.filter((t) => !incremental.has(t.id))) {
        const model = models.get(id);
        if (model?.header.snapshot === 'view') {
          views.push(model);
          continue;
        }
        const target = `snapshot.${schema}.${ident(name)}`;
        await db.run(`CREATE TABLE ${target} AS SELECT * FROM ${schema}.${ident(name)}`);
        if (model) await commentOn(db, model, target);
      }
      // After the tables they read. Their SQL names tables by schema only, so it reads the
      // snapshot's own tables wherever the snapshot is opened.
      for (const model of views) {
        const target = `snapshot.${model.schema}.${ident(model.name)}`;
        await db.run(`CREATE VIEW ${target} AS\n${model.sql}`);
        await commentOn(db, model, target, 'VIEW');
      }
    });
  } finally {
    await db.run('DETACH snapshot');
  }
  await db.transaction(async () => {
    for (const s of states) await db.run('INSERT INTO ops.snapshot_state VALUES ($1, $2, $3, $4, $5)', [release, s.model, s.fingerprint, s.change_id, s.rows]);
  });
  return written;
}

/**
 * Forgets what only deleted releases needed: their states, and the changes every kept
 * release's snapshot already holds and every model built from them has merged.
 */
export async function forgetSnapshots(db: Warehouse, sqlDir: string, kept: readonly string[]): Promise<void> {
  const builtFrom = discoverModels(sqlDir).flatMap((m) => (m.header.incremental?.from ? [[m.header.incremental.from, m.id, m.header.incremental.partition_by] as const] : []));
  const parted = builtFrom.filter(([, , by]) => by !== undefined);
  const merged = builtFrom.map(
    ([from, id]) => `AND (c.model <> ${literal(from!)} OR change_id <= (SELECT coalesce(min(max_load_id), 0) FROM ops.model_state WHERE model = ${literal(id!)}))`,
  );
  await db.transaction(async () => {
    await db.run(`DELETE FROM ops.snapshot_state WHERE release NOT IN (${['', ...kept].map(literal).join(', ')})`);
    await db.run(
      `DELETE FROM ops.model_changes AS c
       WHERE change_id <= (SELECT coalesce(min(change_id), 0) FROM ops.snapshot_state AS s WHERE s.model = c.model) ${merged.join(' ')}`,
    );
    // The rows merges replaced, once every model parted from theirs has built the parts they fell in.
    for (const from of new Set(parted.map(([from]) => from))) {
      if (!(await keepsReplaced(db, from))) continue;
      const ids = parted.filter(([f]) => f === from).map(([, id]) => literal(id));
      const built = `SELECT coalesce(min(max_load_id), 0) FROM ops.model_state WHERE model IN (${ids.join(', ')})`;
      await db.run(`DELETE FROM ${replacedTable(from)} WHERE _change_id <= (${built})`);
    }
  });
}

/** Drops from a copied snapshot every table and view but those named in `keep`. */
async function dropAllBut(db: Warehouse, keep: ReadonlySet<string>): Promise<void> {
  const copied = await db.all<{ schema_name: string; name: string; kind: string }>(
    `SELECT table_schema AS schema_name, table_name AS name, table_type AS kind FROM information_schema.tables WHERE table_catalog = 'snapshot'`,
  );
  for (const { schema_name, name, kind } of copied.filter((c) => !keep.has(`${c.schema_name}.${c.name}`))) {
    await db.run(`DROP ${kind === 'VIEW' ? 'VIEW' : 'TABLE'} snapshot.${schema_name}.${ident(name)}`);
  }
}

/** The tables and views of a schema of the warehouse. */
export async function tablesOf(db: Warehouse, schema: string): Promise<string[]> {
  const rows = await db.all<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_catalog = current_database() AND table_schema = $1 ORDER BY table_name`,
    [schema],
  );
  return rows.map((r) => r.name);
}

/** The model as the warehouse holds it now: its fingerprint and its last change. */
async function currentState(db: Warehouse, model: Model): Promise<Omit<State, 'rows'>> {
  const state = await db.one<{ fingerprint: string; change_id: number }>(
    `SELECT s.fingerprint, coalesce((SELECT max(change_id) FROM ops.model_changes WHERE model = $1), 0) AS change_id
     FROM ops.model_state AS s WHERE s.model = $1`,
    [model.id],
  );
  return { model: model.id, fingerprint: state?.fingerprint ?? '', change_id: state?.change_id ?? 0 };
}

/** The copied table can be brought up to date by key: same build, no rebuild since, rows as written. */
async function canUpdate(db: Warehouse, target: string, last: State, now: Omit<State, 'rows'>): Promise<boolean> {
  if (last.fingerprint !== now.fingerprint || !now.fingerprint) return false;
  const rebuilt = await db.one('SELECT 1 FROM ops.model_changes WHERE model = $1 AND change_id > $2 AND key IS NULL', [now.model, last.change_id]);
  if (rebuilt) return false;
  const rows = await db.one<{ n: number }>(`SELECT count(*) AS n FROM ${target}`).catch(() => undefined);
  return rows?.n === last.rows;
}

/** Replaces the rows of the keys changed since `since` with the warehouse's. */
async function updateByKey(db: Warehouse, model: Model, target: string, since: number): Promise<void> {
  const key = ident(model.header.incremental!.unique_key!);
  await db.transaction(async () => {
    await db.run(`CREATE OR REPLACE TEMP TABLE snapshot_keys AS SELECT DISTINCT * FROM (${await keysChangedSince(db, model.id, model.header.incremental!.unique_key!, since)}) AS k (${key})`);
    const keys = `SELECT ${key} FROM snapshot_keys`;
    await db.run(`DELETE FROM ${target} WHERE ${key} IN (${keys})`);
    await db.run(`INSERT INTO ${target} BY NAME SELECT * FROM ${qualified(model.id)} WHERE ${key} IN (${keys})`);
    await db.run('DROP TABLE snapshot_keys');
  });
}
