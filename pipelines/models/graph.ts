// The SQL models of sql/<layer>/**.sql as a graph. A model is one SELECT in one file, named
// after the table it builds, opening with a YAML header in a block comment: description, grain,
// primary key, materialization, column descriptions and data tests. Dependencies come from the
// SQL itself (the schema.table names it reads): a model that reads another runs after it.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { kindOf, swapIn } from './swap.js';
import { ident, literal, type Warehouse } from '../../core/warehouse.js';
import { messageOf, ModelError } from '../../core/errors.js';
import { SQL_DIR } from '../../config/load.js';
import { LAYERS } from '../setup/layout.js';

const severity = z.enum(['error', 'warn']).default('error');
const column = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a column name');

/** Data tests a header declares; each returns the rows that break it. */
export const testSchema = z.union([
  z.strictObject({ unique: z.array(column).min(1), severity }),
  z.strictObject({ not_null: z.array(column).min(1), severity }),
  z.strictObject({
    accepted_values: z.strictObject({ column, values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1) }),
    severity,
  }),
  z.strictObject({
    relationships: z.strictObject({ column, to: z.string().regex(/^[a-z]+\.[a-z][a-z0-9_]*$/, 'schema.model'), field: column }),
    severity,
  }),
  z.strictObject({ expression: z.string().min(1), name: z.string().min(1).optional(), severity }),
]);
export type DeclaredTest = z.output<typeof testSchema>;

const headerSchema = z.strictObject({
  description: z.string().min(1),
  grain: z.string().min(1),
  primary_key: z.array(column).optional(),
  /**
   * Whether the run tests the primary key (unique, not null) on the data each night. Off only for
   * a key that holds by construction from keys tested upstream: the test could not fail on data,
   * and the model's unit tests check the grain.
   */
  test_primary_key: z.boolean().default(true),
  materialized: z.enum(['table', 'view', 'incremental']).optional(),
  /**
   * For `materialized: incremental`: a run builds the model over the raw rows loaded since the
   * last build only, and merges the result by unique_key, keeping the row that comes first in
   * newest_first (the model's own dedup order) and adding up the add_up counts.
   */
  incremental: z
    .strictObject({ unique_key: column, newest_first: z.string().min(1), add_up: z.array(column).default([]) })
    .optional(),
  /**
   * How the published snapshot holds the model: a copy of its rows (table, the default), or its
   * SQL as a view over the snapshot's other tables, for a big model cheap to compute from them
   * (it may then read only models of the snapshot, and no macro of setup.sql).
   */
  snapshot: z.enum(['table', 'view']).default('table'),
  /** A mart that grows with time: also published hive-partitioned by the year of this date column (period_end: a period's reporting year, also under the cut-off window). */
  published_by_year: column.optional(),
  columns: z.record(z.string(), z.string()).default({}),
  tests: z.array(testSchema).default([]),
});
export type ModelHeader = z.output<typeof headerSchema>;

/**
 * Staging and marts are read often: tables. Intermediate steps are views unless their header
 * says `materialized: table` (one that several models read, or that is costly to compute).
 */
const DEFAULT_MATERIALIZATION: Record<(typeof LAYERS)[number], 'table' | 'view'> = {
  staging: 'table',
  intermediate: 'view',
  marts: 'table',
};

export type Reference = { table: string; line: number };

export type Model = {
  /** schema.name, e.g. marts.fct_tthc_resolution */
  id: string;
  schema: (typeof LAYERS)[number];
  name: string;
  /** Path relative to the folder above sql/, for messages. */
  file: string;
  /** The sql/ folder it comes from. */
  sqlDir: string;
  sql: string;
  header: ModelHeader;
  materialized: 'table' | 'view' | 'incremental';
  /** The schema-qualified tables the SQL reads, with their lines in the file. */
  references: Reference[];
  dependsOn: string[];
};

const HEADER = /^\s*\/\*([\s\S]*?)\*\//;

/** Every model under sql/, in an order where each comes after the models it reads. */
export function discoverModels(sqlDir = SQL_DIR): Model[] {
  const models = LAYERS.flatMap((schema) => sqlFiles(join(sqlDir, schema)).map((path) => readModel(path, schema, sqlDir)));
  const ids = new Set(models.map((m) => m.id));
  checkReferences(models, ids);
  for (const model of models) {
    model.dependsOn = [...new Set(model.references.map((r) => r.table).filter((t) => ids.has(t) && t !== model.id))].sort();
  }
  return orderByDependencies(models);
}

export function sqlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.sql'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The YAML header of a SQL file and the SQL after it, with the header's line count. */
export function splitHeader(text: string, file: string): { header: unknown; sql: string; headerLines: number } {
  const match = HEADER.exec(text);
  if (!match) {
    throw new ModelError(`${file}: the file has no header`, {
      action: 'open the file with a /* … */ block holding at least description: (YAML)',
    });
  }
  try {
    return { header: parseYaml(match[1]!), sql: text.slice(match[0].length).replace(/;\s*$/, ''), headerLines: match[0].split('\n').length - 1 };
  } catch (error) {
    throw new ModelError(`${file}: the header is not valid YAML: ${messageOf(error)}`, { action: 'fix the YAML in the header comment' });
  }
}

export function parseHeader<T extends z.ZodType>(schema: T, header: unknown, file: string): z.output<T> {
  const parsed = schema.safeParse(header);
  if (!parsed.success) {
    throw new ModelError(`${file}: invalid header: ${z.prettifyError(parsed.error)}`, { action: 'fix the YAML in the header comment' });
  }
  return parsed.data;
}

function readModel(path: string, schema: Model['schema'], sqlDir: string): Model {
  const file = relative(join(sqlDir, '..'), path);
  const { header: raw, sql, headerLines } = splitHeader(readFileSync(path, 'utf8'), file);
  const header = parseHeader(headerSchema, raw, file);
  if ((header.materialized === 'incremental') !== (header.incremental !== undefined)) {
    throw new ModelError(`${file}: \`materialized: incremental\` and the \`incremental:\` block go together`, {
      action: 'give an incremental model its unique_key and newest_first, or remove the block',
    });
  }
  const name = basename(path, '.sql');
  if (!/^[a-z][a-z0-9_]*$/.test(name)) {
    throw new ModelError(`${file}: a model's file name is its table name: lower-case letters, digits and _`, {
      action: 'rename the file',
    });
  }
  return {
    id: `${schema}.${name}`,
    schema,
    name,
    file,
    sqlDir,
    sql,
    header,
    materialized: header.materialized ?? DEFAULT_MATERIALIZATION[schema],
    references: referencesIn(sql, headerLines),
    dependsOn: [],
  };
}

/**
 * The schema-qualified tables a SQL text reads, with the line of each reference. Models name
 * what they read as schema.table; comments and string literals are blanked first (keeping line
 * breaks), so that neither is mistaken for a reference.
 */
export function referencesIn(sql: string, headerLines = 0): Reference[] {
  return [...tableNames(sql)].map(({ table, index }) => ({ table, line: headerLines + sql.slice(0, index).split('\n').length }));
}

/** The SQL with each reference to a table of `schema` replaced by what `replace` makes of it. */
export function rewriteReferences(sql: string, schema: string, replace: (reference: string) => string): string {
  let rewritten = sql;
  // From the end, so that the offsets of the references before stay right.
  for (const { table, index, length } of [...tableNames(sql)].reverse()) {
    if (table.startsWith(`${schema}.`)) rewritten = rewritten.slice(0, index) + replace(sql.slice(index, index + length)) + rewritten.slice(index + length);
  }
  return rewritten;
}

function* tableNames(sql: string): Generator<{ table: string; index: number; length: number }> {
  // Blanked: comments, string literals (with E'' escapes) and quoted names holding a dot ("a.b" is
  // one name). Blanking keeps every offset.
  const blank = (text: string) => text.replace(/[^\n]/g, ' ');
  const code = sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\/|[eE]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|"(?:[^"]|"")*"/g, (text) =>
    text.startsWith('"') && !text.includes('.') ? text : blank(text),
  );
  const pattern = /(?<![\w."])"?(raw|seeds|settings|staging|intermediate|marts)"?\s*\.\s*"?([a-z_][a-z0-9_]*)\b"?/gi;
  for (const match of code.matchAll(pattern)) {
    yield { table: `${match[1]!.toLowerCase()}.${match[2]!.toLowerCase()}`, index: match.index, length: match[0].length };
  }
}

/** Every reference to a model that does not exist, with all its readers; raw read past staging. */
function checkReferences(models: Model[], ids: Set<string>): void {
  const missing = new Map<string, string[]>();
  for (const model of models) {
    for (const { table, line } of model.references) {
      const [schema] = table.split('.');
      if (schema === 'raw' && model.schema !== 'staging') {
        throw new ModelError(`${model.file}:${line} reads ${table}: only staging models read raw tables`, {
          action: 'read the staging model of that table instead',
        });
      }
      if ((LAYERS as readonly string[]).includes(schema!) && !ids.has(table)) {
        missing.set(table, [...(missing.get(table) ?? []), `${model.file}:${line}`]);
      }
    }
  }
  if (missing.size > 0) {
    const lines = [...missing].map(([table, readers]) => `${table}, read by ${[...new Set(readers)].join(', ')}`);
    throw new ModelError(`models read tables that are not models: ${lines.join('; ')}`, {
      action: 'create the missing model (sql/<schema>/…/<name>.sql), or point its readers at the new name',
    });
  }
}

function orderByDependencies(models: Model[]): Model[] {
  const byId = new Map(models.map((m) => [m.id, m]));
  const ordered: Model[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (model: Model, path: Model[]) => {
    if (state.get(model.id) === 'done') return;
    if (state.get(model.id) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(model)), model];
      const steps = cycle.slice(0, -1).map((reader, i) => {
        const read = cycle[i + 1]!;
        const line = reader.references.find((r) => r.table === read.id)!.line;
        return `${reader.file}:${line} reads ${read.id}`;
      });
      throw new ModelError(`models read each other in a cycle: ${steps.join(', ')}`, {
        action: 'break the cycle: one of these models must not read the next',
      });
    }
    state.set(model.id, 'visiting');
    for (const dep of model.dependsOn) visit(byId.get(dep)!, [...path, model]);
    state.set(model.id, 'done');
    ordered.push(model);
  };
  for (const model of [...models].sort((a, b) => a.id.localeCompare(b.id))) visit(model, []);
  return ordered;
}

/**
 * The models a selection names, in build order. Each selector is a model (`fct_digitization` or
 * `marts.fct_digitization`) or a folder of sql/ (`staging.motcua`, `marts`); `+` after it adds
 * the models that read it, directly or not, and `+` before it the models it reads.
 */
export function selectModels(models: Model[], selectors: readonly string[]): Model[] {
  const selected = new Set<string>();
  for (const raw of selectors) {
    const upstream = raw.startsWith('+');
    const downstream = raw.endsWith('+');
    const selector = raw.replace(/^\+|\+$/g, '');
    const matched = models.filter((m) => m.name === selector || m.id === selector || folderOf(m).startsWith(`${selector}.`) || folderOf(m) === selector);
    if (matched.length === 0) {
      throw new ModelError(`--select ${raw}: no model or folder of sql/ is called ${selector}`, {
        action: 'name a model (fct_digitization, marts.fct_digitization) or a folder (staging.motcua)',
      });
    }
    for (const model of matched) {
      selected.add(model.id);
      if (upstream) for (const id of ancestors(models, model)) selected.add(id);
      if (downstream) for (const id of descendants(models, model)) selected.add(id);
    }
  }
  return models.filter((m) => selected.has(m.id));
}

/** The models that read a raw table of these sources, directly or through other models. */
export function modelsReadingSources(models: Model[], sources: readonly string[]): Set<string> {
  const found = new Set<string>();
  for (const model of models) {
    if (!model.references.some((r) => sources.some((source) => r.table.startsWith(`raw.${source}__`)))) continue;
    found.add(model.id);
    for (const id of descendants(models, model)) found.add(id);
  }
  return found;
}

/** staging.motcua for sql/staging/motcua/stg_motcua__dossiers.sql. */
function folderOf(model: Model): string {
  return dirname(model.file).split(sep).slice(1).join('.');
}

function ancestors(models: Model[], model: Model): Set<string> {
  const byId = new Map(models.map((m) => [m.id, m]));
  const found = new Set<string>();
  const walk = (m: Model) => {
    for (const dep of m.dependsOn) {
      if (found.has(dep)) continue;
      found.add(dep);
      walk(byId.get(dep)!);
    }
  };
  walk(model);
  return found;
}

function descendants(models: Model[], model: Model): Set<string> {
  const found = new Set<string>();
  let frontier = [model.id];
  while (frontier.length > 0) {
    const next = models.filter((m) => !found.has(m.id) && m.dependsOn.some((d) => frontier.includes(d))).map((m) => m.id);
    for (const id of next) found.add(id);
    frontier = next;
  }
  return found;
}

export type BuildOptions = {
  /** Rebuild incremental models from all of raw, as if for the first time. */
  fullRefresh?: boolean;
  onModel?: (model: Model, ms: number, how: Build) => void;
};

/** How a model was built: from scratch, by merging new raw rows, or left as it was (no new rows). */
export type Build = 'full' | 'increment' | 'unchanged';

/**
 * Builds the models in order, each committed and swapped in on its own (build-journal.ts). The
 * caller keeps the build (keepBuild) or undoes it (undoBuild) once it has tested it.
 */
export async function buildModels(db: Warehouse, models: readonly Model[], options: BuildOptions = {}): Promise<void> {
  for (const model of models) {
    const started = performance.now();
    let how: Build = 'full';
    try {
      if (model.materialized === 'incremental') how = await buildIncremental(db, model, options.fullRefresh ?? false);
      else await buildWhole(db, model);
    } catch (error) {
      if (error instanceof ModelError) throw error;
      throw new ModelError(`${model.file}: ${messageOf(error)}`, { action: 'fix the model SQL (run it alone in DuckDB to see where)', cause: error });
    }
    options.onModel?.(model, performance.now() - started, how);
  }
}

/** The model built from all of its inputs, under a temporary name, then swapped in. */
async function buildWhole(db: Warehouse, model: Model, afterSwap?: () => Promise<void>): Promise<void> {
  const kind = model.materialized === 'view' ? 'VIEW' : 'TABLE';
  await swapIn(db, { schema: model.schema, name: model.name, kind, ...(afterSwap && { afterSwap }) }, async (target) => {
    await db.run(`CREATE ${kind} ${target} AS\n${model.sql}`);
    await commentOn(db, model, target, kind);
  });
}

/**
 * An incremental model: its SQL run over the raw rows loaded after the last build (load ids
 * only grow), merged by key into the table in one transaction. Built from scratch when there is
 * no last build, or when what it was built with changed: its SQL, the macros of setup.sql, the
 * seeds. A merge is kept whatever the tests say: it holds the source's rows as of this run, and
 * undoing it would only mean merging the same rows again.
 */
async function buildIncremental(db: Warehouse, model: Model, fullRefresh: boolean): Promise<Build> {
  const spec = model.header.incremental!;
  const rawTables = [...new Set(model.references.map((r) => r.table).filter((t) => t.startsWith('raw.')))];
  const loaded = rawTables.map((t) => `SELECT max(_load_id) AS id FROM ${t}`).join(' UNION ALL ');
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
  const addUp = spec.add_up.map((c) => `sum(${ident(c)}) OVER (PARTITION BY ${key})::BIGINT AS ${ident(c)}`);
  await db.transaction(async () => {
    await db.run(`CREATE OR REPLACE TEMP TABLE model_increment AS\n${newRows}`);
    // The key's rows of this build and its row of the last: the first in the model's own order wins.
    await db.run(
      `CREATE OR REPLACE TEMP TABLE model_merge AS
       SELECT * ${addUp.length > 0 ? `REPLACE (${addUp.join(', ')})` : ''}
       FROM (SELECT * FROM model_increment UNION ALL BY NAME SELECT * FROM ${model.id} WHERE ${key} IN (SELECT ${key} FROM model_increment))
       QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY ${spec.newest_first}) = 1`,
    );
    await db.run(`DELETE FROM ${model.id} WHERE ${key} IN (SELECT ${key} FROM model_merge)`);
    await db.run(`INSERT INTO ${model.id} BY NAME SELECT * FROM model_merge`);
    await noteChanges(`SELECT ${key}::VARCHAR FROM model_merge`);
    await db.run('DROP TABLE model_increment');
    await db.run('DROP TABLE model_merge');
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

const sharedColumns = new Map<string, Record<string, string>>();

/** Descriptions of the columns many models share (sql/shared_columns.yaml), read once per folder. */
function sharedColumnDescriptions(sqlDir: string): Record<string, string> {
  let shared = sharedColumns.get(sqlDir);
  if (!shared) {
    shared = z.record(z.string(), z.string()).parse(parseYaml(readFileSync(join(sqlDir, 'shared_columns.yaml'), 'utf8')));
    sharedColumns.set(sqlDir, shared);
  }
  return shared;
}

/** A model's column descriptions: its header's, and the shared ones for the columns it returns. */
export function columnDescriptions(model: Model, returned: Iterable<string>): Record<string, string> {
  const shared = sharedColumnDescriptions(model.sqlDir);
  const described: Record<string, string> = {};
  for (const name of returned) if (shared[name]) described[name] = shared[name];
  return { ...described, ...model.header.columns };
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
