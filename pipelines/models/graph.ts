// The SQL models of sql/<layer>/**.sql as a graph. A model is one SELECT in one file, named
// after the table it builds, opening with a YAML header in a block comment (header.ts).
// Dependencies come from the SQL itself (the schema.table names it reads): a model that reads
// another runs after it.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { SQL_DIR } from '../../config/load.js';
import { ModelError } from '../../core/errors.js';
import { LAYERS } from '../setup/layout.js';
import { headerSchema, parseHeader, sharedTests, splitHeader, type ModelHeader } from './header.js';

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

/** Every model under sql/, in an order where each comes after the models it reads. */
export function discoverModels(sqlDir = SQL_DIR): Model[] {
  const models = LAYERS.flatMap((schema) => sqlFiles(join(sqlDir, schema)).map((path) => readModel(path, schema, sqlDir)));
  const ids = new Set(models.map((m) => m.id));
  checkReferences(models, ids);
  for (const model of models) {
    model.dependsOn = [...new Set(model.references.map((r) => r.table).filter((t) => ids.has(t) && t !== model.id))].sort();
  }
  for (const model of models) checkBuiltFrom(model, models);
  return orderByDependencies(models);
}

export function sqlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.sql'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * The models read before, by file, with the text each was read from: a run discovers the models
 * at several stages, and parsing their YAML headers again each time took a night's main thread
 * about 0.1 s. A file changed since is read again.
 */
const readBefore = new Map<string, { text: string; sqlDir: string; model: Model }>();

function readModel(path: string, schema: Model['schema'], sqlDir: string): Model {
  const text = readFileSync(path, 'utf8');
  const known = readBefore.get(path);
  const model = known?.text === text && known.sqlDir === sqlDir ? known.model : parseModel(path, text, schema, sqlDir);
  readBefore.set(path, { text, sqlDir, model });
  // Its own list: discoverModels fills it in.
  return { ...model, dependsOn: [] };
}

function parseModel(path: string, text: string, schema: Model['schema'], sqlDir: string): Model {
  const file = relative(join(sqlDir, '..'), path);
  const { header: raw, sql, headerLines } = splitHeader(text, file);
  const header = parseHeader(headerSchema, raw, file);
  header.tests = [...sharedTests(sqlDir, header.shared_tests, file), ...header.tests];
  if ((header.materialized === 'incremental') !== (header.incremental !== undefined)) {
    throw new ModelError(`${file}: \`materialized: incremental\` and the \`incremental:\` block go together`, {
      action: 'give an incremental model its unique_key, or remove the block',
    });
  }
  // The merge keeps each key's latest version: the model must keep the same one itself.
  if (header.incremental && !header.incremental.from && !/\b(latest_version|latest_row)\s*\(/i.test(sql)) {
    throw new ModelError(`${file}: an incremental model keeps each ${header.incremental.unique_key}'s latest version with latest_version(rows, key) or latest_row(rows, key), the rule its nightly merge uses`, {
      action: `select from latest_version(<the typed rows>, ${header.incremental.unique_key}), or make the model a table`,
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

/** A reference as written (`staging . "stg_x"`) as a model id. */
export function normalized(reference: string): string {
  return reference.replace(/["\s]/g, '').toLowerCase();
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

/**
 * A model built from another's changes reads it, and that one is incremental on the same key; a
 * model parted by a column reads it through a view (partitions.ts) and reads its partitions.
 */
function checkBuiltFrom(model: Model, models: readonly Model[]): void {
  const spec = model.header.incremental;
  if (!spec?.from) return;
  const upstream = models.find((m) => m.id === spec.from);
  if (spec.partition_by) {
    const views = viewsOver(model, spec.from, models);
    const reads = [model, ...views].some((m) => m.dependsOn.includes(spec.partitions!));
    if (!upstream?.header.incremental?.unique_key || views.length === 0 || !reads) {
      throw new ModelError(`${model.file}: a model parted by ${spec.partition_by} reads \`from\` (${spec.from}, an incremental model with a key) through a view, and reads \`partitions\` (${spec.partitions})`, {
        action: 'read the incremental model through a view that gives each key its parts, or make the model a table',
      });
    }
    return;
  }
  const key = spec.unique_key;
  if (!upstream || upstream.header.incremental?.unique_key !== key || !model.dependsOn.includes(spec.from)) {
    throw new ModelError(`${model.file}: \`incremental.from: ${spec.from}\` must name an incremental model on the same key (${key}) that this model reads`, {
      action: 'name the incremental model this one is built from, or remove `from` to merge the raw rows',
    });
  }
}

/** The views a model reads that read `from` themselves: through them its rows follow from's keys. */
export function viewsOver(model: Model, from: string, models: readonly Model[]): Model[] {
  return models.filter((m) => model.dependsOn.includes(m.id) && m.materialized === 'view' && m.dependsOn.includes(from));
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

