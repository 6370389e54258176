// A build commits its models one at a time: DuckDB scans a table written inside a still-open
// transaction on one thread, and holding the whole build in one transaction made every model
// that read an earlier one twice as slow. Each model (and each settings table) is written under
// `<name>__next`, then swapped in by one short transaction that keeps the version it replaces as
// `<name>__previous` and notes both in ops.build_journal. When the build's tests pass, keepBuild
// drops the previous versions; when they fail, undoBuild puts them back. A run killed mid-build
// is undone the same way when the next run opens the warehouse: at no moment does the warehouse
// hold a half-built model under a model's name.
import { ident, literal, type Warehouse } from '../../core/warehouse.js';

const NEXT = '__next';
const PREVIOUS = '__previous';

export type ObjectKind = 'TABLE' | 'VIEW';

/**
 * A table or view to build, with what goes with it into the swap (an incremental model's state),
 * and what it replaces, when the caller knows (`current`: none, a table or a view).
 */
export type BuildTarget = { schema: string; name: string; kind: ObjectKind; afterSwap?: () => Promise<void>; current?: ObjectKind | null };

/**
 * Builds `target` through `create`, which writes it under the name it is given, then swaps it
 * in. The model's ops.model_state row swaps with it, so that undo restores both.
 */
export async function swapIn(db: Warehouse, target: BuildTarget, create: (name: string) => Promise<void>): Promise<void> {
  const { schema, name, kind } = target;
  const next = `${schema}.${ident(name + NEXT)}`;
  // Committed before the swap: committed with it, a build of 30 million dossier rows (the bench's
  // growth run) raised the run's peak memory from 2.29 to 2.68 GB, in the data tests after it.
  await db.transaction(() => create(next));
  await db.transaction(async () => {
    const previous = target.current === undefined ? await kindOf(db, schema, name) : (target.current ?? undefined);
    const id = `${schema}.${name}`;
    if (previous) await db.run(`ALTER ${previous} ${schema}.${ident(name)} RENAME TO ${ident(name + PREVIOUS)}`);
    await db.run(`ALTER ${kind} ${next} RENAME TO ${ident(name)}`);
    await db.run(
      `INSERT INTO ops.build_journal
       SELECT (SELECT count(*) FROM ops.build_journal), $1, $2, $3, $4, $5, s.fingerprint, s.max_load_id, s.built_at
       FROM (SELECT 1) LEFT JOIN ops.model_state AS s ON s.model = $5`,
      [schema, name, kind, previous ?? null, id],
    );
    await target.afterSwap?.();
  });
}

/** The build's tests passed: the versions it replaced are dropped. */
export async function keepBuild(db: Warehouse): Promise<void> {
  const entries = await journal(db);
  if (entries.length === 0) return;
  await db.transaction(async () => {
    for (const e of entries) if (e.previous_kind) await db.run(`DROP ${e.previous_kind} ${e.schema_name}.${ident(e.object_name + PREVIOUS)}`);
    await db.run('DELETE FROM ops.build_journal');
  });
}

/**
 * Puts back what the last build replaced, newest first, with the incremental models' states,
 * and drops what a killed build left half-made. Returns the objects put back or removed.
 */
export async function undoBuild(db: Warehouse): Promise<string[]> {
  const entries = (await journal(db)).reverse();
  const strays = await db.all<{ schema_name: string; object_name: string; kind: ObjectKind }>(
    `SELECT table_schema AS schema_name, table_name AS object_name, CASE table_type WHEN 'VIEW' THEN 'VIEW' ELSE 'TABLE' END AS kind
     FROM information_schema.tables
     WHERE table_catalog = current_database() AND table_schema IN ('staging', 'intermediate', 'marts', 'settings')
       AND table_name LIKE ${literal(`%${NEXT.replaceAll('_', '\\_')}`)} ESCAPE '\\'`,
  );
  if (entries.length === 0 && strays.length === 0) return [];
  await db.transaction(async () => {
    for (const s of strays) await db.run(`DROP ${s.kind} ${s.schema_name}.${ident(s.object_name)}`);
    for (const e of entries) {
      await db.run(`DROP ${e.kind} ${e.schema_name}.${ident(e.object_name)}`);
      if (e.previous_kind) await db.run(`ALTER ${e.previous_kind} ${e.schema_name}.${ident(e.object_name + PREVIOUS)} RENAME TO ${ident(e.object_name)}`);
      await db.run('DELETE FROM ops.model_state WHERE model = $1', [e.model]);
      // The parts a parted model was built with are this build's: with none, its next build
      // takes every part as changed (partitions.ts).
      await db.run('DELETE FROM ops.model_partitions WHERE model = $1', [e.model]);
      await db.run(
        `INSERT INTO ops.model_state SELECT model, previous_fingerprint, previous_max_load_id, previous_built_at
         FROM ops.build_journal WHERE model = $1 AND previous_fingerprint IS NOT NULL`,
        [e.model],
      );
    }
    await db.run('DELETE FROM ops.build_journal');
  });
  return [...strays, ...entries].map((o) => `${o.schema_name}.${o.object_name}`);
}

type JournalEntry = {
  schema_name: string;
  object_name: string;
  kind: ObjectKind;
  previous_kind: ObjectKind | null;
  model: string;
};

function journal(db: Warehouse): Promise<JournalEntry[]> {
  return db.all<JournalEntry>('SELECT schema_name, object_name, kind, previous_kind, model FROM ops.build_journal ORDER BY position');
}

export type Relation = { schema: string; name: string; kind: ObjectKind };

/**
 * The tables and views of a database, the warehouse's unless named. From the catalog functions:
 * information_schema, a view over them, takes twice as long.
 */
export async function relations(db: Warehouse, database?: string): Promise<Relation[]> {
  const where = `database_name = ${database ? literal(database) : 'current_database()'} AND NOT internal`;
  return db.all<Relation>(
    `SELECT schema_name AS schema, table_name AS name, 'TABLE' AS kind FROM duckdb_tables() WHERE ${where}
     UNION ALL
     SELECT schema_name, view_name, 'VIEW' FROM duckdb_views() WHERE ${where}
     ORDER BY name`,
  );
}

export async function kindOf(db: Warehouse, schema: string, name: string): Promise<ObjectKind | undefined> {
  return (await relations(db)).find((r) => r.schema === schema && r.name === name)?.kind;
}
