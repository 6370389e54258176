// Models parted by a column (intermediate.int_dossier_counts, by period_key). A night changes a
// few thousand dossiers of millions, and a dossier counts in the periods from its reception to
// its closing only: the parts to build again are those the changed dossiers fall in, before their
// change (the rows the merge of `from` replaced) and after it, and those whose row in `partitions`
// changed (a new month; a period still running, seen one day longer). The others are left as
// they are: a build from scratch would give them the same rows.
import { ident, literal, qualified, rowsWhere, type Warehouse } from '../../core/warehouse.js';
import { normalized, rewriteReferences, viewsOver, type Model } from './graph.js';

/** The rows a merge by key of `model` replaced, kept for the models parted from it. */
export function replacedTable(model: string): string {
  return `ops.${ident(replacedName(model))}`;
}

function replacedName(model: string): string {
  return `${model.replace('.', '__')}__replaced`;
}

/** Whether the rows `from`'s merges replaced are kept: the parts they fell in can be known. */
export async function keepsReplaced(db: Warehouse, from: string): Promise<boolean> {
  return (await db.one(`SELECT 1 FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'ops' AND table_name = $1`, [replacedName(from)])) !== undefined;
}

/** Whether a model is parted from `model`: its merges then keep the rows they replace. */
export function partedFrom(model: Model, all: readonly Model[]): boolean {
  return all.some((m) => m.header.incremental?.partition_by && m.header.incremental.from === model.id);
}

/**
 * After a whole build of `model`: the rows its merges replace are kept from here on, for the
 * models parted from it (an existing table may not have its columns any more); a parted model
 * notes the parts it was built with.
 */
export async function startParts(db: Warehouse, model: Model, all: readonly Model[]): Promise<void> {
  await db.run(`DROP TABLE IF EXISTS ${replacedTable(model.id)}`);
  if (partedFrom(model, all)) await db.run(`CREATE TABLE ${replacedTable(model.id)} AS SELECT *, 0::BIGINT AS _change_id FROM ${qualified(model.id)} LIMIT 0`);
  if (model.header.incremental?.partition_by) await savePartitions(db, model);
}

/** Whether the parts the model was last built with are known (an undone build forgets them). */
export async function hasPartitions(db: Warehouse, model: Model): Promise<boolean> {
  return (await db.one('SELECT 1 FROM ops.model_partitions WHERE model = $1 LIMIT 1', [model.id])) !== undefined;
}

/**
 * Builds again the parts of `model` that `from`'s changes after change `since` fall in, and the
 * parts whose row in `partitions` changed since the last build (`changedKeys`: SQL, the keys of
 * `from` changed since). Returns how many parts.
 */
export async function rebuildParts(db: Warehouse, model: Model, all: readonly Model[], since: number, changedKeys: string): Promise<number> {
  const spec = model.header.incremental!;
  const from = all.find((m) => m.id === spec.from)!;
  const key = ident(from.header.incremental!.unique_key!);
  const part = ident(spec.partition_by!);
  const views = viewsOver(model, from.id, all);
  // Each view read over some rows of `from` only: the parts those rows fall in.
  const partsOf = (rows: string) => views.map((v) => `SELECT ${part} FROM (\n${rewriteReferences(v.sql, from.schema, (r) => (normalized(r) === from.id ? rows : r))}\n)`);
  const now = rowsWhere(qualified(from.id), `${key} IN (${changedKeys})`);
  const before = `(SELECT * EXCLUDE (_change_id) FROM ${replacedTable(from.id)} WHERE _change_id > ${since})`;
  const parts = await db.all<{ part: string }>(
    `SELECT DISTINCT part FROM (
       ${[...partsOf(now), ...partsOf(before), `SELECT part FROM (${changedPartitions(model)})`].join('\nUNION ALL ')}
     ) AS p (part) WHERE part IS NOT NULL`,
  );
  if (parts.length === 0) return 0;
  const list = parts.map((p) => literal(p.part)).join(', ');
  // What the model reads parted the same way is read for these parts only.
  const parted = new Set([...views.map((v) => v.id), spec.partitions!]);
  let sql = model.sql;
  for (const schema of new Set([...parted].map((id) => id.split('.')[0]!))) {
    sql = rewriteReferences(sql, schema, (r) => (parted.has(normalized(r)) ? `(SELECT * FROM ${r} WHERE ${part} IN (${list}))` : r));
  }
  await db.run(`DELETE FROM ${qualified(model.id)} WHERE ${part} IN (${list})`);
  await db.run(`INSERT INTO ${qualified(model.id)} BY NAME\n${sql}`);
  return parts.length;
}

/** Notes the rows of `partitions` the model was built with, for the next build to compare. */
export async function savePartitions(db: Warehouse, model: Model): Promise<void> {
  await db.run('DELETE FROM ops.model_partitions WHERE model = $1', [model.id]);
  await db.run(`INSERT INTO ops.model_partitions SELECT ${literal(model.id)}, part, signature FROM (${partitionRows(model)})`);
}

/** SQL: each part of `partitions` and the hash of its whole row. */
function partitionRows(model: Model): string {
  const spec = model.header.incremental!;
  return `SELECT ${ident(spec.partition_by!)}::VARCHAR AS part, hash(partition_row__) AS signature FROM ${qualified(spec.partitions!)} AS partition_row__`;
}

/** SQL: the parts new, gone or changed in `partitions` since the last build. */
function changedPartitions(model: Model): string {
  const saved = `SELECT part, signature FROM ops.model_partitions WHERE model = ${literal(model.id)}`;
  const now = partitionRows(model);
  return `SELECT part FROM ((${now}) EXCEPT (${saved})) UNION SELECT part FROM ((${saved}) EXCEPT (${now}))`;
}
