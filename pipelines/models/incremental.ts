// Incremental models: a night's raw rows merged by key into the table built before, instead of
// the whole history built again.
import { createHash } from 'node:crypto';
import { ident, literal, qualified, rowsWhere, type Warehouse } from '../../core/warehouse.js';
import { buildWhole, noteBuilt, type Build } from './build.js';
import { normalized, rewriteReferences, viewsOver, type Model } from './graph.js';
import { contentOf, settingsTables, stringify } from './inputs.js';
import { hasPartitions, keepsReplaced, partedFrom, rebuildParts, replacedTable, savePartitions, startParts } from './partitions.js';
import type { ObjectKind } from './swap.js';

/**
 * An incremental model: its SQL run over the raw rows loaded after the last build (load ids
 * only grow), merged by key into the table in one transaction. Built from scratch when there is
 * no last build, or when what it was built with changed: its SQL, the macros of setup.sql, the
 * seeds. A merge is kept whatever the tests say: it holds the source's rows as of this run, and
 * undoing it would only mean merging the same rows again.
 */
export async function buildIncremental(db: Warehouse, model: Model, fullRefresh: boolean, all: readonly Model[], current: ObjectKind | null): Promise<Build> {
  const spec = model.header.incremental!;
  const rawTables = [...new Set(model.references.map((r) => r.table).filter((t) => t.startsWith('raw.')))];
  // The high-water mark: the last raw load merged, or for a model built from another, its last change.
  const high = spec.from
    ? Number((await db.one<{ id: number }>('SELECT coalesce(max(change_id), 0) AS id FROM ops.model_changes WHERE model = $1', [spec.from]))!.id)
    : Number((await db.one<{ id: number | null }>(`SELECT coalesce(max(id), 0) AS id FROM (${rawTables.map((t) => `SELECT max(_load_id) AS id FROM ${qualified(t)}`).join(' UNION ALL ')})`))!.id);
  const fingerprint = await buildFingerprint(db, model, rawTables, all);
  const last = await db.one<{ fingerprint: string; max_load_id: number }>('SELECT fingerprint, max_load_id FROM ops.model_state WHERE model = $1', [model.id]);
  const saveState = () => noteBuilt(db, model.id, fingerprint, high);
  // What the merges changed, by key, for the snapshot to copy (snapshot.ts) and the models built
  // from this one; a key of NULL is a rebuild.
  const noteChanges = (keys: string) =>
    db.run(`INSERT INTO ops.model_changes SELECT $1, nextval('ops.change_ids'), key FROM (${keys}) AS changed (key)`, [model.id]);
  const since = Number(last?.max_load_id ?? 0);
  // Built from another model: its rebuild since the last build makes this one a rebuild too.
  const upstreamRebuilt = spec.from !== undefined && (await db.one('SELECT 1 FROM ops.model_changes WHERE model = $1 AND change_id > $2 AND key IS NULL', [spec.from, since])) !== undefined;
  // Parted: the parts the changes fell in before can only be known from the rows they replaced,
  // and the parts that changed from those it was built with (none after an undone build).
  const partsUnknown = spec.partition_by !== undefined && !((await keepsReplaced(db, spec.from!)) && (await hasPartitions(db, model)));
  if (fullRefresh || !last || !current || last.fingerprint !== fingerprint || upstreamRebuilt || partsUnknown) {
    await buildWhole(db, model, async () => {
      await saveState();
      // Nothing is built from a parted model's changes, and nothing would forget them.
      if (!spec.partition_by) await noteChanges('SELECT NULL::VARCHAR');
      await startParts(db, model, all);
    }, current);
    return 'full';
  }
  // A parted model may have parts to build with no change of `from`: a period's window moved.
  if (high <= since && !spec.partition_by) return 'unchanged';
  const merged = await db.transaction(async () => {
    const any = await merge(db, model, all, since, noteChanges);
    if (any) await saveState();
    return any;
  });
  return merged ? 'increment' : 'unchanged';
}

/** The night's merge: the new rows by key, the keys `from` changed, or the parts they fall in. Whether there was any. */
async function merge(db: Warehouse, model: Model, all: readonly Model[], since: number, noteChanges: (keys: string) => Promise<void>): Promise<boolean> {
  const spec = model.header.incremental!;
  if (spec.partition_by) {
    const fromKey = all.find((m) => m.id === spec.from)!.header.incremental!.unique_key!;
    const parts = await rebuildParts(db, model, all, since, await keysChangedSince(db, spec.from!, fromKey, since));
    if (parts > 0) await savePartitions(db, model);
    return parts > 0;
  }
  // Kept while a model is parted from this one, or was: a build of a selection still keeps them.
  const keepReplaced = partedFrom(model, all) || (await keepsReplaced(db, model.id));
  if (spec.from) await mergeKeysOf(db, model, spec.from, since, keepReplaced);
  else await mergeNewRows(db, model, since);
  await noteChanges(`SELECT ${ident(spec.unique_key!)}::VARCHAR FROM model_merge`);
  await db.run('DROP TABLE model_merge');
  return true;
}

/**
 * The model over the raw rows loaded after load `since`, merged with its rows of the same keys:
 * the latest version wins. Leaves the merged rows in the temporary table model_merge.
 */
async function mergeNewRows(db: Warehouse, model: Model, since: number): Promise<void> {
  const spec = model.header.incremental!;
  const newRows = rewriteReferences(model.sql, 'raw', (table) => `(SELECT * FROM ${table} WHERE _load_id > ${since})`);
  const key = ident(spec.unique_key!);
  const table = qualified(model.id);
  const addUp = spec.add_up.map((c) => `sum(${ident(c)}) OVER (PARTITION BY ${key})::BIGINT AS ${ident(c)}`);
  await db.run(`CREATE OR REPLACE TEMP TABLE model_increment AS\n${newRows}`);
  // The key's rows of this build and its row of the last, counted together: the latest version wins.
  // A view: the candidates are read once, by the merge below.
  await db.run(
    `CREATE OR REPLACE TEMP VIEW model_candidates AS
     SELECT * ${addUp.length > 0 ? `REPLACE (${addUp.join(', ')})` : ''}
     FROM (SELECT * FROM model_increment UNION ALL BY NAME SELECT * FROM ${rowsWhere(table, `${key} IN (SELECT ${key} FROM model_increment)`)})`,
  );
  await db.run(`CREATE OR REPLACE TEMP TABLE model_merge AS SELECT * FROM latest_version(model_candidates, ${key})`);
  await db.run(`DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM model_merge)`);
  await db.run(`INSERT INTO ${table} BY NAME SELECT * FROM model_merge`);
  await db.run('DROP VIEW model_candidates');
  await db.run('DROP TABLE model_increment');
}

/**
 * The model again for the keys whose rows `from` changed after change `since`: their rows are
 * replaced by what the model's SQL gives for them now (none, when a key no longer qualifies).
 * Leaves the keys in the temporary table model_merge.
 */
async function mergeKeysOf(db: Warehouse, model: Model, from: string, since: number, keepReplaced: boolean): Promise<void> {
  const key = ident(model.header.incremental!.unique_key!);
  const table = qualified(model.id);
  await db.run(`CREATE OR REPLACE TEMP TABLE model_merge AS SELECT DISTINCT * FROM (${await keysChangedSince(db, from, model.header.incremental!.unique_key!, since)}) AS k (${key})`);
  const rows = rewriteReferences(model.sql, from.split('.')[0]!, (reference) =>
    normalized(reference) === from ? rowsWhere(reference, `${key} IN (SELECT ${key} FROM model_merge)`) : reference,
  );
  if (keepReplaced) {
    // Marked with a change id of their own, above every change noted before this merge and below
    // those it notes: the merges after a parted model's last build are those marked above its
    // high-water mark (partitions.ts).
    const replaced = replacedTable(model.id);
    const mark = Number((await db.one<{ id: number }>(`SELECT nextval('ops.change_ids') AS id`))!.id);
    await db.run(`CREATE TABLE IF NOT EXISTS ${replaced} AS SELECT *, 0::BIGINT AS _change_id FROM ${table} LIMIT 0`);
    await db.run(`INSERT INTO ${replaced} BY NAME SELECT *, ${mark} AS _change_id FROM ${rowsWhere(table, `${key} IN (SELECT ${key} FROM model_merge)`)}`);
  }
  await db.run(`DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM model_merge)`);
  await db.run(`INSERT INTO ${table} BY NAME\n${rows}`);
}

/**
 * SQL: the keys of `model` (an incremental model) that its merges changed after change `since`,
 * as ops.model_changes notes them: cast to the key's type, so that the few changed keys are cast
 * and not the millions of keys to text.
 */
export async function keysChangedSince(db: Warehouse, model: string, key: string, since: number): Promise<string> {
  const type = (await db.one<{ t: string }>(`SELECT typeof(${ident(key)}) AS t FROM ${qualified(model)} LIMIT 1`))?.t ?? 'VARCHAR';
  return `SELECT CAST(key AS ${type}) FROM ops.model_changes WHERE model = ${literal(model)} AND change_id > ${since}`;
}

/**
 * What an incremental model's rows depend on besides raw: its SQL and header, the hash key, and
 * the reference data as prepareWarehouse fingerprinted it (macros, seeds, the deployment's
 * vocabulary and desk).
 */
async function buildFingerprint(db: Warehouse, model: Model, rawTables: readonly string[], all: readonly Model[]): Promise<string> {
  const { key_id, fingerprint } = (await db.one<{ key_id: string | null; fingerprint: string }>('SELECT key_id, fingerprint FROM hash_key, reference_fingerprint'))!;
  // Rows released from the quarantine join raw under their old load ids, which a merge of the
  // loads since the last build would not see: each release makes the next build a whole one.
  const { releases } = (await db.one<{ releases: number }>(
    `SELECT count(*) AS releases FROM ops.quarantine_releases WHERE 'raw.' || source || '__' || table_name IN (${rawTables.map(literal).join(', ') || 'NULL'})`,
  ))!;
  return createHash('sha256')
    .update(model.sql)
    .update(JSON.stringify(model.header.incremental))
    .update(key_id ?? 'no key')
    .update(fingerprint)
    .update(String(releases))
    .update(model.header.incremental!.from ? await inputsOf(db, model, all) : '')
    .digest('hex');
}

/**
 * For a model built from another: the content of whatever else it reads (the other models, the
 * settings), which a change of any would change every key's row. They are small tables; the
 * hashes of their rows are added up, in any order. A parted model reads `from` through views:
 * their SQL counts, and what they read besides `from` and the partitions, compared part by part.
 */
async function inputsOf(db: Warehouse, model: Model, all: readonly Model[]): Promise<string> {
  const spec = model.header.incremental!;
  const views = spec.partition_by ? viewsOver(model, spec.from!, all) : [];
  const skipped = new Set([spec.from, spec.partitions, ...views.map((v) => v.id)]);
  const read = [...new Set([model, ...views].flatMap((m) => m.dependsOn))].filter((id) => !skipped.has(id)).sort();
  return stringify([await contentOf(db, [...read, ...(await settingsTables(db))]), views.map((v) => v.sql)]);
}

