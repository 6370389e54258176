// The DuckDB snapshot of a release: the published layers (seeds, settings, staging,
// intermediate, marts) as tables with their comments, never raw or ops, which hold personal data.
//
// A night changes little of the warehouse, so the snapshot is not written again whole: it starts
// from a copy of the current release's snapshot, and writes only what changed since that one was
// written (ops.snapshot_state). Each incremental model (materialized: incremental) is brought up
// to date by key, from the keys its merges changed since (ops.model_changes). Every other table
// or view is kept as copied when its model was not built again since (ops.model_state), refilled
// when its shape is the same (seeds and settings, written again by every run, are refilled), and
// written again otherwise (planOthers). A copied table is used only when it can be trusted: same
// build, and the rows it was written with.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { copyLargeFile } from '../../core/files.js';
import { ident, literal, qualified, rowsWhere, type Warehouse } from '../../core/warehouse.js';
import { commentOn } from '../models/build.js';
import { keysChangedSince } from '../models/incremental.js';
import { sharedColumnDescriptions } from '../models/header.js';
import { stringify } from '../models/inputs.js';
import { keepsReplaced, replacedTable } from '../models/partitions.js';
import { discoverModels, type Model } from '../models/graph.js';
import { relations } from '../models/swap.js';

export const SNAPSHOT_FILE = 'cchc.duckdb';
const SNAPSHOT_SCHEMAS = ['seeds', 'settings', 'staging', 'intermediate', 'marts'] as const;

/** The current release, and the copy of its snapshot if started before (copyLastSnapshot). */
type Base = { releaseDir: string; release: string; copying?: Promise<boolean> | undefined };
type State = { model: string; fingerprint: string; change_id: number; rows: number; shape: string | null };
type Table = { schema: string; name: string; id: string; model: Model | undefined };

export type SnapshotWritten = {
  /** How each incremental table was written: by key into the last snapshot's, or whole. */
  incremental: Record<string, 'by key' | 'whole'>;
  /** How many of the other tables and views were kept as the last snapshot had them, refilled, or written again (planOthers). */
  kept: number;
  refilled: number;
  written: number;
};

/**
 * Starts copying the snapshot of `base` (the current release) to `path`, for the next snapshot to
 * start from, while the publish writes the marts. Settles to whether it was copied; never fails:
 * writeSnapshot copies again, and says why it cannot.
 */
export function copyLastSnapshot(base: Omit<Base, 'copying'>, path: string): Promise<boolean> {
  const from = join(base.releaseDir, SNAPSHOT_FILE);
  if (!existsSync(from)) return Promise.resolve(false);
  return copyLargeFile(from, path).then(() => true, () => false);
}

/**
 * Writes the snapshot of release `release` at `path`, from the snapshot of `base` (the current
 * release) where it can; records what it holds for the next one.
 */
export async function writeSnapshot(db: Warehouse, sqlDir: string, path: string, release: string, base?: Base): Promise<SnapshotWritten> {
  const models = new Map(discoverModels(sqlDir).map((m) => [m.id, m]));
  const previous = new Map(
    (base ? await db.all<State>('SELECT model, fingerprint, change_id, rows, shape FROM ops.snapshot_state WHERE release = $1', [base.release]) : []).map((s) => [s.model, s]),
  );
  // A release whose snapshot is gone (deleted by hand) gives nothing to start from: all is written whole.
  const from = base && join(base.releaseDir, SNAPSHOT_FILE);
  const copyable = from !== undefined && previous.size > 0 && existsSync(from);
  const early = await base?.copying;
  const copied = copyable && (early || (await copyLargeFile(from, path).then(() => true)));
  // A copy made before it was known that nothing is noted of the release it was copied from, or
  // one cut short: the snapshot is written whole into a new file.
  if (!copied) await rm(path, { force: true });
  const tables: Table[] = (await relations(db))
    .filter((t) => (SNAPSHOT_SCHEMAS as readonly string[]).includes(t.schema))
    .map(({ schema, name }) => ({ schema, name, id: `${schema}.${name}`, model: models.get(`${schema}.${name}`) }));
  const described = await statesOf(db, tables);
  const byKey = described.filter((t) => t.model?.header.incremental?.unique_key && t.model.header.snapshot !== 'view');
  const others = described.filter((t) => !byKey.includes(t));
  await db.run(`ATTACH ${literal(path)} AS snapshot (STORAGE_VERSION 'v1.0.0')`);
  const states: State[] = [];
  let written: SnapshotWritten;
  try {
    // Planned before writing: a statement that fails inside the transaction (a table the copy
    // lacks) would end it.
    const plan = await planOthers(db, others, copied ? previous : new Map());
    const incremental: SnapshotWritten['incremental'] = {};
    const byKeyStates: Omit<State, 'rows' | 'shape'>[] = [];
    for (const { model } of byKey) {
      const state = await currentState(db, model!);
      const last = copied ? previous.get(model!.id) : undefined;
      incremental[model!.id] = last !== undefined && (await canUpdate(db, `snapshot.${model!.schema}.${ident(model!.name)}`, last, state)) ? 'by key' : 'whole';
      byKeyStates.push(state);
    }
    // One transaction: each commit writes and flushes the snapshot's log, which cost a night more
    // than the rows written; the file is flushed whole before it is published anyway.
    await inOneTransaction(db, copied === true && Object.values(incremental).every((how) => how === 'by key'), async () => {
      await dropAllBut(db, new Set([...byKey.map((t) => t.id), ...others.filter((t) => plan.get(t.id) !== 'written').map((t) => t.id)]));
      for (const schema of SNAPSHOT_SCHEMAS) await db.run(`CREATE SCHEMA IF NOT EXISTS snapshot.${schema}`);
      for (const t of byKey) {
        const last = previous.get(t.id);
        await writeByKey(db, t.model!, incremental[t.id] === 'by key' ? last!.change_id : undefined, last?.shape === t.shape);
      }
      await writeOthers(db, others, plan);
    });
    const byKeyRows = await rowsIn(db, byKey);
    states.push(...byKeyStates.map((s) => ({ ...s, rows: byKeyRows.get(s.model)!, shape: byKey.find((t) => t.id === s.model)!.shape })));
    states.push(...(await statesAfter(db, others, plan, previous)));
    const count = (how: string) => [...plan.values()].filter((h) => h === how).length;
    written = { incremental, kept: count('kept'), refilled: count('refilled'), written: count('written') };
  } finally {
    await db.run('DETACH snapshot');
  }
  await db.insertRows('ops.snapshot_state (release, model, fingerprint, change_id, rows, shape)', states.map((s) => [release, s.model, s.fingerprint, s.change_id, s.rows, s.shape]));
  return written;
}

/**
 * Writes into the snapshot in one transaction. Brought up to date by key (`byKey`), its commit
 * goes straight into the file: DuckDB checkpoints at once a commit whose log passes
 * checkpoint_threshold, 0 for this commit alone. Through the log, a night's rows were written
 * twice, into the log and again when the snapshot was detached. A snapshot with tables written
 * whole (a full load, a rebuild), whose rows DuckDB writes into the file as they come, is
 * checkpointed at DETACH.
 */
async function inOneTransaction(db: Warehouse, byKey: boolean, write: () => Promise<void>): Promise<void> {
  const threshold = (await db.one<{ v: string }>(`SELECT current_setting('checkpoint_threshold') AS v`))!.v;
  await db
    .transaction(async () => {
      await write();
      if (byKey) await db.run(`SET checkpoint_threshold = '0b'`);
    })
    .finally(() => db.run(`SET checkpoint_threshold = ${literal(threshold)}`));
}

/**
 * An incremental table into the copied snapshot: by key, from the changes after `since`, or
 * whole. Updated by key, it keeps the comments it was copied with unless its header changed
 * since (`sameShape`): a new description changes no row, and does not rebuild the model.
 */
async function writeByKey(db: Warehouse, model: Model, since: number | undefined, sameShape: boolean): Promise<void> {
  const target = `snapshot.${model.schema}.${ident(model.name)}`;
  if (since !== undefined) await updateByKey(db, model, target, since);
  else await db.run(`CREATE OR REPLACE TABLE ${target} AS SELECT * FROM ${qualified(model.id)}`);
  if (since === undefined || !sameShape) await commentOn(db, model, target);
}

/**
 * The tables and views, as the warehouse holds them now. Their version: for a model built as a
 * table, its build (ops.model_state: a build moves its built_at; none noted, none known). None
 * for a view of the warehouse, whose rows follow what it reads whether or not it was built again
 * (a source that failed leaves it as it was), nor for seeds and settings, written again by every
 * run. Their shape: their columns, and for a model its SQL and header, which its comments are
 * written from.
 */
async function statesOf(db: Warehouse, tables: readonly Table[]): Promise<(Table & { version: string; shape: string })[]> {
  const built = new Map((await db.all<{ model: string; version: string }>(`SELECT model, fingerprint || '@' || built_at AS version FROM ops.model_state`)).map((b) => [b.model, b.version]));
  const columns = new Map(
    (await db.all<{ id: string; columns: string }>(
      `SELECT schema_name || '.' || table_name AS id, string_agg(column_name || ' ' || data_type, ', ' ORDER BY column_index) AS columns
       FROM duckdb_columns() WHERE database_name = current_database() GROUP BY ALL`,
    )).map((c) => [c.id, c.columns]),
  );
  return tables.map((t) => {
    const shape = createHash('sha256').update(columns.get(t.id) ?? '');
    if (t.model) shape.update(t.model.sql).update(stringify(t.model.header)).update(stringify(sharedColumnDescriptions(t.model.sqlDir)));
    return { ...t, version: (t.model?.materialized !== 'view' && built.get(t.id)) || '', shape: shape.digest('hex') };
  });
}

/**
 * What becomes of each of the other tables and views in the copied snapshot (`previous`: its
 * states, none when nothing was copied). Kept: the same version, with the rows it was written
 * with (a snapshot changed by hand is not trusted), or a view of the same SQL, which reads the
 * snapshot's tables. Refilled: a table of the same shape, emptied and filled again, comments
 * and all kept. Written: dropped and written again.
 */
async function planOthers(db: Warehouse, tables: readonly (Table & { version: string; shape: string })[], previous: ReadonlyMap<string, State>): Promise<Map<string, 'kept' | 'refilled' | 'written'>> {
  const inCopy = new Map((await relations(db, 'snapshot')).map((c) => [`${c.schema}.${c.name}`, c.kind]));
  const same = tables.filter((t) => previous.get(t.id)?.shape === t.shape && inCopy.get(t.id) === (t.model?.header.snapshot === 'view' ? 'VIEW' : 'TABLE'));
  const tablesOfSameVersion = same.filter((t) => inCopy.get(t.id) === 'TABLE' && t.version !== '' && previous.get(t.id)!.fingerprint === t.version);
  const counts = await rowsIn(db, tablesOfSameVersion);
  return new Map(
    tables.map((t) => {
      if (!same.includes(t)) return [t.id, 'written'];
      if (inCopy.get(t.id) === 'VIEW' || counts.get(t.id) === previous.get(t.id)!.rows) return [t.id, 'kept'];
      return [t.id, 'refilled'];
    }),
  );
}

/** The rows of the snapshot's copies of `tables`, in one query. */
async function rowsIn(db: Warehouse, tables: readonly Table[]): Promise<Map<string, number>> {
  if (tables.length === 0) return new Map();
  const rows = await db.all<{ id: string; n: number }>(tables.map((t) => `SELECT ${literal(t.id)} AS id, count(*) AS n FROM snapshot.${t.schema}.${ident(t.name)}`).join(' UNION ALL '));
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
}

/** The other tables and views, as planned. */
async function writeOthers(db: Warehouse, tables: readonly (Table & { shape: string })[], plan: ReadonlyMap<string, 'kept' | 'refilled' | 'written'>): Promise<void> {
  const views = tables.filter((t) => t.model?.header.snapshot === 'view' && plan.get(t.id) === 'written');
  for (const t of tables.filter((o) => !views.includes(o))) {
    const target = `snapshot.${t.schema}.${ident(t.name)}`;
    if (plan.get(t.id) === 'refilled') {
      await db.run(`DELETE FROM ${target}`);
      await db.run(`INSERT INTO ${target} BY NAME SELECT * FROM ${t.schema}.${ident(t.name)}`);
    } else if (plan.get(t.id) === 'written') {
      await db.run(`CREATE TABLE ${target} AS SELECT * FROM ${t.schema}.${ident(t.name)}`);
      if (t.model) await commentOn(db, t.model, target);
    }
  }
  // After the tables they read. Their SQL names tables by schema only, so it reads the
  // snapshot's own tables wherever the snapshot is opened.
  for (const { model } of views) {
    const target = `snapshot.${model!.schema}.${ident(model!.name)}`;
    await db.run(`CREATE VIEW ${target} AS\n${model!.sql}`);
    await commentOn(db, model!, target, 'VIEW');
  }
}

/** The states of the other tables and views, once written: a kept one is as the last snapshot noted it. */
async function statesAfter(
  db: Warehouse,
  tables: readonly (Table & { version: string; shape: string })[],
  plan: ReadonlyMap<string, 'kept' | 'refilled' | 'written'>,
  previous: ReadonlyMap<string, State>,
): Promise<State[]> {
  const counted = await rowsIn(db, tables.filter((t) => t.model?.header.snapshot !== 'view' && plan.get(t.id) !== 'kept'));
  return tables.map((t) => ({
    model: t.id, fingerprint: t.version, change_id: 0, shape: t.shape,
    rows: plan.get(t.id) === 'kept' ? previous.get(t.id)!.rows : (counted.get(t.id) ?? 0),
  }));
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
  for (const { schema, name, kind } of (await relations(db, 'snapshot')).filter((c) => !keep.has(`${c.schema}.${c.name}`))) {
    await db.run(`DROP ${kind} snapshot.${schema}.${ident(name)}`);
  }
}

/** The tables and views of a schema of the warehouse. */
export async function tablesOf(db: Warehouse, schema: string): Promise<string[]> {
  return (await relations(db)).filter((r) => r.schema === schema).map((r) => r.name);
}

/** The model as the warehouse holds it now: its fingerprint and its last change. */
async function currentState(db: Warehouse, model: Model): Promise<Omit<State, 'rows' | 'shape'>> {
  const state = await db.one<{ fingerprint: string; change_id: number }>(
    `SELECT s.fingerprint, coalesce((SELECT max(change_id) FROM ops.model_changes WHERE model = $1), 0) AS change_id
     FROM ops.model_state AS s WHERE s.model = $1`,
    [model.id],
  );
  return { model: model.id, fingerprint: state?.fingerprint ?? '', change_id: state?.change_id ?? 0 };
}

/** The copied table can be brought up to date by key: same build, no rebuild since, rows as written. */
async function canUpdate(db: Warehouse, target: string, last: State, now: Omit<State, 'rows' | 'shape'>): Promise<boolean> {
  if (last.fingerprint !== now.fingerprint || !now.fingerprint) return false;
  const rebuilt = await db.one('SELECT 1 FROM ops.model_changes WHERE model = $1 AND change_id > $2 AND key IS NULL', [now.model, last.change_id]);
  if (rebuilt) return false;
  const rows = await db.one<{ n: number }>(`SELECT count(*) AS n FROM ${target}`).catch(() => undefined);
  return rows?.n === last.rows;
}

/** Replaces the rows of the keys changed since `since` with the warehouse's. */
async function updateByKey(db: Warehouse, model: Model, target: string, since: number): Promise<void> {
  const key = ident(model.header.incremental!.unique_key!);
  await db.run(`CREATE OR REPLACE TEMP TABLE snapshot_keys AS SELECT DISTINCT * FROM (${await keysChangedSince(db, model.id, model.header.incremental!.unique_key!, since)}) AS k (${key})`);
  const keys = `SELECT ${key} FROM snapshot_keys`;
  await db.run(`DELETE FROM ${target} WHERE ${key} IN (${keys})`);
  await db.run(`INSERT INTO ${target} BY NAME SELECT * FROM ${rowsWhere(qualified(model.id), `${key} IN (${keys})`)}`);
  await db.run('DROP TABLE snapshot_keys');
}
