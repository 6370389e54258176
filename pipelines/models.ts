// The SQL models of sql/<layer>/**.sql as a graph. A model is one SELECT in one file, named
// after the table it builds, opening with a YAML header in a block comment (description, grain,
// primary key, materialization, column descriptions). Dependencies come from the SQL itself,
// through DuckDB's parser: a model that reads another runs after it.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ident, literal, type Warehouse } from './db.js';
import { ModelError } from './errors.js';
import { LAYERS, SQL_DIR } from './warehouse.js';

const headerSchema = z.strictObject({
  description: z.string().min(1),
  grain: z.string().min(1),
  primary_key: z.array(z.string()).optional(),
  materialized: z.enum(['table', 'view']).optional(),
  columns: z.record(z.string(), z.string()).default({}),
});
export type ModelHeader = z.output<typeof headerSchema>;

export type Model = {
  /** schema.name, e.g. marts.fct_tthc_resolution */
  id: string;
  schema: (typeof LAYERS)[number];
  name: string;
  /** Path relative to the project root, for messages. */
  file: string;
  sql: string;
  /** Lines before the SQL (the header), to turn a line of `sql` into a line of the file. */
  headerLines: number;
  header: ModelHeader;
  materialized: 'table' | 'view';
  dependsOn: string[];
};

const HEADER = /^\s*\/\*([\s\S]*?)\*\//;

/** Every model under sql/, in an order where each comes after the models it reads. */
export function discoverModels(sqlDir = SQL_DIR): Model[] {
  const models = LAYERS.flatMap((schema) =>
    sqlFiles(join(sqlDir, schema)).map((path) => readModel(path, schema, sqlDir)),
  );
  const ids = new Set(models.map((m) => m.id));
  for (const model of models) {
    model.dependsOn = dependenciesOf(model, ids);
  }
  return orderByDependencies(models);
}

function sqlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.sql'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function readModel(path: string, schema: Model['schema'], sqlDir: string): Model {
  const file = relative(join(sqlDir, '..'), path);
  const text = readFileSync(path, 'utf8');
  const match = HEADER.exec(text);
  if (!match) {
    throw new ModelError(`${file}: the model has no header`, {
      action: 'open the file with a /* … */ block holding at least description: and grain: (YAML)',
    });
  }
  let header: ModelHeader;
  try {
    header = headerSchema.parse(parseYaml(match[1]!));
  } catch (error) {
    const detail = error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message;
    throw new ModelError(`${file}: invalid header: ${detail}`, { action: 'fix the YAML in the header comment' });
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
    sql: text.slice(match[0].length).replace(/;\s*$/, ''),
    headerLines: match[0].split('\n').length - 1,
    header,
    // Staging and marts are read often and cheaply as tables; intermediate steps default to tables
    // too, and a header may make any of them a view.
    materialized: header.materialized ?? 'table',
    dependsOn: [],
  };
}

/**
 * The schema-qualified tables a model reads, with the line of each reference. Models name what
 * they read as schema.table; comments and string literals are blanked first (keeping line breaks).
 */
function referencesIn(sql: string): { table: string; line: number }[] {
  const code = sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'/g, (text) => text.replace(/[^\n]/g, ' '));
  const references: { table: string; line: number }[] = [];
  for (const match of code.matchAll(/\b(raw|seeds|staging|intermediate|marts)\.([a-z_][a-z0-9_]*)\b/gi)) {
    references.push({ table: `${match[1]!.toLowerCase()}.${match[2]!.toLowerCase()}`, line: code.slice(0, match.index).split('\n').length });
  }
  return references;
}

function dependenciesOf(model: Model, ids: Set<string>): string[] {
  const deps = new Set<string>();
  for (const { table, line } of referencesIn(model.sql)) {
    const [schema] = table.split('.');
    const where = `${model.file}:${model.headerLines + line}`;
    if (schema === 'raw' && model.schema !== 'staging') {
      throw new ModelError(`${where} reads ${table}: only staging models read raw tables`, {
        action: 'read the staging model of that table instead',
      });
    }
    if (!(LAYERS as readonly string[]).includes(schema!)) continue;
    if (!ids.has(table)) {
      throw new ModelError(`${where} reads ${table}, which is not a model`, {
        action: `create sql/${table.replace('.', '/')}.sql, or correct the name`,
      });
    }
    if (table !== model.id) deps.add(table);
  }
  return [...deps].sort();
}

function orderByDependencies(models: Model[]): Model[] {
  const byId = new Map(models.map((m) => [m.id, m]));
  const ordered: Model[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (model: Model, path: string[]) => {
    if (state.get(model.id) === 'done') return;
    if (state.get(model.id) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(model.id)), model.id];
      throw new ModelError(`models read each other in a cycle: ${cycle.join(' → ')}`, {
        action: 'break the cycle: one of these models must not read the next',
      });
    }
    state.set(model.id, 'visiting');
    for (const dep of model.dependsOn) visit(byId.get(dep)!, [...path, model.id]);
    state.set(model.id, 'done');
    ordered.push(model);
  };
  for (const model of [...models].sort((a, b) => a.id.localeCompare(b.id))) visit(model, []);
  return ordered;
}

/** Builds every model in order, all in one transaction: the warehouse moves to the new models at once or not at all. */
export async function buildModels(
  db: Warehouse,
  models: readonly Model[],
  variables: Readonly<Record<string, string>>,
  onModel: (model: Model, ms: number) => void = () => {},
): Promise<void> {
  for (const [name, value] of Object.entries(variables)) {
    await db.run(`SET VARIABLE ${ident(name)} = ${literal(value)}`);
  }
  await db.transaction(async () => {
    for (const model of models) {
      const started = performance.now();
      const kind = model.materialized === 'view' ? 'VIEW' : 'TABLE';
      try {
        await dropIfOtherKind(db, model, kind);
        await db.run(`CREATE OR REPLACE ${kind} ${model.id} AS\n${model.sql}`);
        await commentOn(db, model, model.id);
      } catch (error) {
        if (error instanceof ModelError) throw error;
        throw new ModelError(`${model.file}: ${(error as Error).message}`, { action: 'fix the model SQL (run it alone in DuckDB to see where)', cause: error });
      }
      onModel(model, performance.now() - started);
    }
  });
}

/** A model that changes from table to view (or back) must first lose its old kind. */
async function dropIfOtherKind(db: Warehouse, model: Model, kind: 'TABLE' | 'VIEW'): Promise<void> {
  const existing = await db.one<{ table_type: string }>(
    `SELECT table_type FROM information_schema.tables
     WHERE table_catalog = current_database() AND table_schema = $1 AND table_name = $2`,
    [model.schema, model.name],
  );
  if (!existing) return;
  const existingKind = existing.table_type === 'VIEW' ? 'VIEW' : 'TABLE';
  if (existingKind !== kind) await db.run(`DROP ${existingKind} ${model.id}`);
}

const SHARED_COLUMNS = join(SQL_DIR, 'shared_columns.yaml');
let sharedColumns: Record<string, string> | undefined;

/** Descriptions of the columns many models share (sql/shared_columns.yaml), read once. */
function sharedColumnDescriptions(): Record<string, string> {
  sharedColumns ??= z.record(z.string(), z.string()).parse(parseYaml(readFileSync(SHARED_COLUMNS, 'utf8')));
  return sharedColumns;
}

/** A model's column descriptions: its header's, and the shared ones for the columns it returns. */
export function columnDescriptions(model: Model, returned: Iterable<string>): Record<string, string> {
  const shared = sharedColumnDescriptions();
  const described: Record<string, string> = {};
  for (const column of returned) if (shared[column]) described[column] = shared[column];
  return { ...described, ...model.header.columns };
}

/** Writes the header's descriptions as DuckDB comments on `target` (the model, or its copy in a snapshot). */
export async function commentOn(db: Warehouse, model: Model, target: string): Promise<void> {
  const kind = model.materialized === 'view' && target === model.id ? 'VIEW' : 'TABLE';
  await db.run(`COMMENT ON ${kind} ${target} IS ${literal(`${model.header.description.trim()} Grain: ${model.header.grain.trim()}`)}`);
  const columns = new Set(
    (await db.all<{ column_name: string }>(`SELECT column_name FROM (DESCRIBE ${target})`)).map((c) => c.column_name),
  );
  for (const column of Object.keys(model.header.columns)) {
    if (!columns.has(column)) {
      throw new ModelError(`${model.file}: the header describes column "${column}", which the model does not return`, {
        action: 'remove it from the header or correct its name',
      });
    }
  }
  for (const [column, description] of Object.entries(columnDescriptions(model, columns))) {
    await db.run(`COMMENT ON COLUMN ${target}.${ident(column)} IS ${literal(description.trim())}`);
  }
}
