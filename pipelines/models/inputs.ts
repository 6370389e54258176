// What a model's rows are made of, as a signature: a model built whole is built again only when
// its signature changed. Its rows are a function of its SQL and of what it reads (the models
// before it, raw, the seeds and macros, the settings), so a night that brings no export of the
// portal leaves the portal's models as they were, their tests pass as before, and the snapshot
// keeps their tables (snapshot.ts).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { codeHash } from '../../core/files.js';
import { literal, qualified, type Row, type Warehouse } from '../../core/warehouse.js';
import type { Model } from './graph.js';
import { sharedColumnDescriptions } from './header.js';

/**
 * What every model reads besides the tables it names: the macros, seeds and vocabulary (the
 * reference fingerprint of prepareWarehouse), the hash key, the settings (a macro reads them),
 * the shared column descriptions its comments are written from, the version of DuckDB, and the
 * code that builds and describes the models: a new version of either may build them otherwise.
 * Read once per build.
 */
export async function commonInputs(db: Warehouse, sqlDir: string): Promise<string> {
  const { key_id, fingerprint, duckdb } = (await db.one<{ key_id: string | null; fingerprint: string; duckdb: string }>(
    'SELECT key_id, fingerprint, version() AS duckdb FROM hash_key, reference_fingerprint',
  ))!;
  return stringify([key_id, fingerprint, duckdb, builder(), await contentOf(db, await settingsTables(db)), sharedColumnDescriptions(sqlDir)]);
}

/** The code of this folder and of setup/ (the macros defined in code, the layout). */
function builder(): string {
  return codeHash([import.meta.dirname, join(import.meta.dirname, '..', 'setup')]);
}

/**
 * The signature of a model built whole: its SQL and header, `common`, and for each table it
 * names, the build of a model (ops.model_state: a merge or a build moves its built_at), the rows
 * of a raw table (loads only add rows, with growing ids; a quarantine release adds rows, an
 * erasure of personal data changes them), or the content of any other.
 */
export async function signatureOf(db: Warehouse, model: Model, common: string, models: ReadonlySet<string>): Promise<string> {
  const reads = [...new Set(model.references.map((r) => r.table))].filter((t) => t !== model.id).sort();
  const tokens = reads.map((id) => {
    if (models.has(id)) return `SELECT (SELECT fingerprint || '@' || built_at FROM ops.model_state WHERE model = ${literal(id)}) AS token`;
    if (id.startsWith('raw.')) {
      return `SELECT (SELECT concat_ws(':', count(*), max(_load_id), sum(_load_id)) FROM ${qualified(id)})
        || ':' || (SELECT count(*) FROM ops.personal_data_erased JOIN ops.loads USING (load_id) WHERE 'raw.' || source || '__' || table_name = ${literal(id)})`;
    }
    // Covered by `common`.
    if (id.startsWith('seeds.') || id.startsWith('settings.')) return `SELECT '' AS token`;
    return `SELECT (${contentSql(id)}) AS token`;
  });
  const rows = tokens.length === 0 ? [] : await db.all(tokens.map((sql, i) => `SELECT ${i} AS i, token FROM (${sql}) AS t (token)`).join('\nUNION ALL\n'));
  const read = rows.sort((a, b) => Number(a.i) - Number(b.i)).map((r) => r.token);
  return createHash('sha256').update(model.sql).update(stringify(model.header)).update(model.materialized).update(common).update(stringify(read)).digest('hex');
}

/** The settings tables as this build wrote them, not the last build's (kept as `__previous` until it passes). */
export async function settingsTables(db: Warehouse): Promise<string[]> {
  const rows = await db.all<{ id: string }>(
    `SELECT 'settings.' || table_name AS id FROM duckdb_tables()
     WHERE database_name = current_database() AND schema_name = 'settings' AND NOT regexp_matches(table_name, '__(previous|next)$') ORDER BY 1`,
  );
  return rows.map((r) => r.id);
}

/** The content of small tables, in one query: their rows' hashes added up, in any order, and their columns. */
export async function contentOf(db: Warehouse, ids: readonly string[]): Promise<Row[]> {
  if (ids.length === 0) return [];
  return db.all(`${ids.map((id) => `SELECT ${literal(id)} AS id, (${contentSql(id)}) AS content`).join(' UNION ALL ')} ORDER BY id`);
}

function contentSql(id: string): string {
  const [schema, name] = id.split('.');
  const columns = `SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY column_index) FROM duckdb_columns()
    WHERE database_name = current_database() AND schema_name = ${literal(schema!)} AND table_name = ${literal(name!)}`;
  return `SELECT concat_ws(':', count(*), bit_xor(hash(t)), sum(hash(t)::HUGEINT), (${columns})) FROM ${qualified(id)} AS t`;
}

export function stringify(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
