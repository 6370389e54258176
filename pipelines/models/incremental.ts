// Incremental models: a night's raw rows merged by key into the table built before, instead of
// the whole history built again.
import { createHash } from 'node:crypto';
import { ident, literal, qualified, type Warehouse } from '../../core/warehouse.js';
import { buildWhole, type Build } from './build.js';
import { rewriteReferences, type Model } from './graph.js';
import { kindOf } from './swap.js';

/**
 * An incremental model: its SQL run over the raw rows loaded after the last build (load ids
 * only grow), merged by key into the table in one transaction. Built from scratch when there is
 * no last build, or when what it was built with changed: its SQL, the macros of setup.sql, the
 * seeds. A merge is kept whatever the tests say: it holds the source's rows as of this run, and
 * undoing it would only mean merging the same rows again.
 */
export async function buildIncremental(db: Warehouse, model: Model, fullRefresh: boolean): Promise<Build> {
  const spec = model.header.incremental!;
  const rawTables = [...new Set(model.references.map((r) => r.table).filter((t) => t.startsWith('raw.')))];
  const loaded = rawTables.map((t) => `SELECT max(_load_id) AS id FROM ${qualified(t)}`).join(' UNION ALL ');
  const high = Number((await db.one<{ id: number | null }>(`SELECT coalesce(max(id), 0) AS id FROM (${loaded})`))!.id);
  const fingerprint = await buildFingerprint(db, model, rawTables);
  const last = await db.one<{ fingerprint: string; max_load_id: number }>('SELECT fingerprint, max_load_id FROM ops.model_state WHERE model = $1', [model.id]);
  const saveState = async () => {
    await db.run('DELETE FROM ops.model_state WHERE model = $1', [model.id]);
    await db.run('INSERT INTO ops.model_state VALUES ($1, $2, $3, current_timestamp)', [model.id, fingerprint, high]);
  };
  // What the merges changed, by key, for the snapshot to copy (snapshot.ts); a key of NULL is a rebuild.
  const noteChanges = (keys: string) =>
    db.run(`INSERT INTO ops.model_changes SELECT $1, nextval('ops.change_ids'), key FROM (${keys}) AS changed (key)`, [model.id]);
  if (fullRefresh || !last || !(await kindOf(db, model.schema, model.name)) || last.fingerprint !== fingerprint) {
    await buildWhole(db, model, async () => {
      await saveState();
      await noteChanges('SELECT NULL::VARCHAR');
    });
    return 'full';
  }
  if (high <= Number(last.max_load_id)) return 'unchanged';
  const since = Number(last.max_load_id);
  const newRows = rewriteReferences(model.sql, 'raw', (table) => `(SELECT * FROM ${table} WHERE _load_id > ${since})`);
  const key = ident(spec.unique_key);
  const table = qualified(model.id);
  const addUp = spec.add_up.map((c) => `sum(${ident(c)}) OVER (PARTITION BY ${key})::BIGINT AS ${ident(c)}`);
  await db.transaction(async () => {
    await db.run(`CREATE OR REPLACE TEMP TABLE model_increment AS\n${newRows}`);
    // The key's rows of this build and its row of the last, counted together: the latest version wins.
    // A view: the candidates are read once, by the merge below.
    await db.run(
      `CREATE OR REPLACE TEMP VIEW model_candidates AS
       SELECT * ${addUp.length > 0 ? `REPLACE (${addUp.join(', ')})` : ''}
       FROM (SELECT * FROM model_increment UNION ALL BY NAME SELECT * FROM ${table} WHERE ${key} IN (SELECT ${key} FROM model_increment))`,
    );
    await db.run(`CREATE OR REPLACE TEMP TABLE model_merge AS SELECT * FROM latest_version(model_candidates, ${key})`);
    await db.run(`DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM model_merge)`);
    await db.run(`INSERT INTO ${table} BY NAME SELECT * FROM model_merge`);
    await noteChanges(`SELECT ${key}::VARCHAR FROM model_merge`);
    await db.run('DROP VIEW model_candidates');
    for (const temporary of ['model_increment', 'model_merge']) await db.run(`DROP TABLE ${temporary}`);
    await saveState();
  });
  return 'increment';
}

/**
 * What an incremental model's rows depend on besides raw: its SQL and header, the hash key, and
 * the reference data as prepareWarehouse fingerprinted it (macros, seeds, the deployment's
 * vocabulary and desk).
 */
async function buildFingerprint(db: Warehouse, model: Model, rawTables: readonly string[]): Promise<string> {
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
    .digest('hex');
}

