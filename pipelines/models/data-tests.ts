// Data tests of the models: those declared in each model's header (unique, not_null,
// accepted_values, relationships, row expressions, and unique + not_null on its primary key),
// and the SQL tests of sql/tests/, each a SELECT of the rows that break a rule. A test fails
// when it returns rows; with severity `error` it blocks publication, with `warn` it is reported.
import { readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { z } from 'zod';
import { SQL_DIR } from '../../config/load.js';
import { messageOf, ModelError } from '../../core/errors.js';
import { ident, literal, qualified, rowsWhere, type Warehouse } from '../../core/warehouse.js';
import { LAYERS } from '../setup/layout.js';
import { referencesIn, sqlFiles, type Model } from './graph.js';
import { parseHeader, splitHeader, type DeclaredTest } from './header.js';
import { keysChangedSince } from './incremental.js';

export type DataTest = {
  name: string;
  /** The model it is declared on, or the first model a SQL test reads. */
  model: string | undefined;
  severity: 'error' | 'warn';
  description: string;
  /** A SELECT of the rows that break the rule. */
  sql: string;
  /** The models it reads, to run it when any of them is built. */
  reads: string[];
  /**
   * It reads an incremental model (millions of rows), or a view over one: run whole, it runs
   * alone, so that its hash tables are not held beside another test's.
   */
  large?: boolean;
  /**
   * The same test over some rows of its model only (`relation`), for a test whose failing rows
   * each come from one row: after a merge, only the merged rows need it (runDataTests).
   */
  over?: (relation: string) => string;
};

export type TestResult = {
  name: string;
  model: string | undefined;
  severity: 'error' | 'warn';
  status: 'pass' | 'fail';
  failingRows: number;
  /** Up to five failing rows. */
  sample: Record<string, unknown>[];
  description: string;
};

const SAMPLE_ROWS = 5;

const sqlTestHeader = z.strictObject({
  description: z.string().min(1),
  severity: z.enum(['error', 'warn']).default('error'),
});

/** The tests of these models: declared in their headers, and the SQL tests that read any of them. */
export function testsOf(models: readonly Model[], sqlDir = SQL_DIR, all: readonly Model[] = models): DataTest[] {
  const ids = new Set(models.map((m) => m.id));
  const declared = models.flatMap(declaredTests);
  const written = sqlTests(sqlDir);
  checkTestReferences([...declared, ...written], new Set(all.map((m) => m.id)));
  const byId = new Map(all.map((m) => [m.id, m]));
  // An incremental model, or a view over one.
  const large = (id: string): boolean => {
    const model = byId.get(id);
    return model?.materialized === 'incremental' || (model?.materialized === 'view' && model.dependsOn.some(large));
  };
  return [...declared, ...written.filter((t) => t.reads.some((id) => ids.has(id)))].map((t) => ({ ...t, large: t.reads.some(large) }));
}

/** A test that reads a model that does not exist fails the check, not the nightly run. */
function checkTestReferences(tests: readonly DataTest[], ids: Set<string>): void {
  const missing = tests.flatMap((t) => t.reads.filter((id) => LAYERS.some((layer) => id.startsWith(`${layer}.`)) && !ids.has(id)).map((id) => `${t.name} reads ${id}`));
  if (missing.length > 0) {
    throw new ModelError(`data tests read tables that are not models: ${missing.join('; ')}`, {
      action: 'correct the test (sql/tests/, or relationships in a model header), or create the model',
    });
  }
}

function declaredTests(model: Model): DataTest[] {
  const key = model.header.test_primary_key ? model.header.primary_key : undefined;
  const implied: DeclaredTest[] = key ? [{ unique: key, severity: 'error' }, { not_null: key, severity: 'error' }] : [];
  return [...implied, ...model.header.tests].map((test) => {
    const compiled = compile(model, test);
    // A relationship's target may change under unchanged rows, and so may what an expression
    // reads besides its row (a subquery, a setting); two rows share a value of other columns than
    // the key whether they were merged or not.
    const readsBeyondRow = 'expression' in test && /\bselect\b|reporting_setting|deployment_(code|name)/i.test(test.expression);
    const byRow = !('relationships' in test) && !readsBeyondRow && !('unique' in test && test.unique.join() !== model.header.incremental?.unique_key);
    return byRow && model.materialized === 'incremental' ? { ...compiled, over: (relation: string) => compile(model, test, relation).sql } : compiled;
  });
}

function compile(model: Model, test: DeclaredTest, from = qualified(model.id)): DataTest {
  const base = { model: model.id, severity: test.severity, reads: [model.id] };
  if ('unique' in test) {
    const columns = test.unique.map(ident).join(', ');
    return { ...base, name: `${model.name}: unique(${test.unique.join(', ')})`, description: `no two rows share ${test.unique.join(', ')}`,
      sql: `SELECT ${columns}, count(*) AS rows FROM ${from} GROUP BY ALL HAVING count(*) > 1` };
  }
  if ('not_null' in test) {
    return { ...base, name: `${model.name}: not_null(${test.not_null.join(', ')})`, description: `${test.not_null.join(', ')} always set`,
      sql: `SELECT * FROM ${from} WHERE ${test.not_null.map((c) => `${ident(c)} IS NULL`).join(' OR ')}` };
  }
  if ('accepted_values' in test) {
    const { column, values } = test.accepted_values;
    // Compared as text, so that a list of numbers and a text column (or the reverse) never fail to cast.
    const list = values.map((v) => literal(String(v))).join(', ');
    return { ...base, name: `${model.name}: accepted_values(${column})`, description: `${column} is one of ${values.join(', ')}`,
      sql: `SELECT ${ident(column)} AS value, count(*) AS rows FROM ${from} WHERE ${ident(column)}::VARCHAR NOT IN (${list}) GROUP BY ALL` };
  }
  if ('relationships' in test) {
    const { column, to, field } = test.relationships;
    return { ...base, reads: [model.id, to], name: `${model.name}: relationships(${column} → ${to}.${field})`,
      description: `every ${column} is a ${field} of ${to}`,
      sql: `SELECT m.${ident(column)} AS value, count(*) AS rows FROM ${from} AS m
            WHERE m.${ident(column)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${qualified(to)} AS t WHERE t.${ident(field)} = m.${ident(column)})
            GROUP BY ALL` };
  }
  return { ...base, name: `${model.name}: ${test.name ?? test.expression}`, description: `every row has ${test.expression}`,
    sql: `SELECT * FROM ${from} WHERE NOT coalesce((${test.expression}), false)` };
}

/** sql/tests/*.sql: a header (description, severity) and a SELECT of the failing rows. */
function sqlTests(sqlDir: string): DataTest[] {
  return sqlFiles(join(sqlDir, 'tests')).map((path) => {
    const file = relative(join(sqlDir, '..'), path);
    const { header, sql, headerLines } = splitHeader(readFileSync(path, 'utf8'), file);
    const { description, severity } = parseHeader(sqlTestHeader, header, file);
    const reads = [...new Set(referencesIn(sql, headerLines).map((r) => r.table))];
    return { name: basename(path, '.sql'), model: reads[0], severity, description, sql, reads };
  });
}

/**
 * For a model this build merged or left as it was, its rows changed since a change id
 * (ops.model_changes), or undefined when it was rebuilt since.
 */
export type ChangedRows = ReadonlyMap<string, (since: number) => Promise<string | undefined>>;

/** The changed rows of the models `builds` says were merged or left as they were (changedRows). */
export async function changedRows(db: Warehouse, models: readonly Model[], builds: Readonly<Record<string, string>>): Promise<ChangedRows> {
  const changed = new Map<string, (since: number) => Promise<string | undefined>>();
  // A parted model (no key) is small: its tests run whole.
  for (const model of models.filter((m) => (builds[m.id] === 'increment' || builds[m.id] === 'unchanged') && m.header.incremental?.unique_key)) {
    const key = model.header.incremental!.unique_key!;
    changed.set(model.id, async (since) => {
      // A key of NULL marks a rebuild (or a merged row without a key, which IN would miss):
      // since then, the whole table is new.
      if (await db.one('SELECT 1 FROM ops.model_changes WHERE model = $1 AND change_id > $2 AND key IS NULL', [model.id, since])) return undefined;
      return rowsWhere(qualified(model.id), `${ident(key)} IN (${await keysChangedSince(db, model.id, key, since)})`);
    });
  }
  return changed;
}

/**
 * Runs every test; a test whose SQL does not run is a model error, named with its test. A test
 * whose failing rows each come from one row, on a model in `changed`, that passed when it last
 * ran, runs over the rows changed since then only: the others are those it passed on.
 */
export async function runDataTests(db: Warehouse, tests: readonly DataTest[], changed: ChangedRows = new Map()): Promise<TestResult[]> {
  const last = await lastResults(db);
  // A model's rows changed since a change, kept aside once for all of its tests (by model and
  // change): each test read them from the millions of its table before.
  const kept = new Map<string, string | undefined>();
  try {
    const runs: TestRun[] = [];
    for (const test of tests) {
      const since = test.over && changed.has(test.model ?? '') ? passedAt(last, test) : undefined;
      const key = `${test.model}@${since}`;
      if (since !== undefined && !kept.has(key)) kept.set(key, await keepAside(db, await changed.get(test.model!)!(since), `data_test_rows_${kept.size}`));
      const rows = since === undefined ? undefined : kept.get(key);
      runs.push(rows === undefined ? { test, sql: test.sql, alone: test.large ?? false } : { test, sql: test.over!(rows), alone: false });
    }
    return await resultsOf(db, runs);
  } finally {
    for (const table of kept.values()) if (table) await db.run(`DROP TABLE IF EXISTS ${table}`);
  }
}

/** `rows` (SQL) as temporary table `table`, or undefined without rows to keep. */
async function keepAside(db: Warehouse, rows: string | undefined, table: string): Promise<string | undefined> {
  if (rows === undefined) return undefined;
  await db.run(`CREATE OR REPLACE TEMP TABLE ${table} AS SELECT * FROM ${rows}`);
  return table;
}

/** A test's SQL, over all of its rows or some, and whether it runs alone. */
type TestRun = { test: DataTest; sql: string; alone?: boolean };

async function resultsOf(db: Warehouse, runs: readonly TestRun[]): Promise<TestResult[]> {
  // Counted first: the count reads only the columns the test filters on, where a count riding on
  // the sample rows kept every failing row whole (tens of thousands, for a warning). The small
  // ones in one query: a night runs over a hundred, and a query each cost more than its count.
  const together = runs.filter((r) => !r.alone);
  const counts = new Map(together.length > 0 ? await countAll(db, together) : []);
  const results: TestResult[] = [];
  for (const run of runs) {
    const { name, model, severity, description } = run.test;
    const failingRows = counts.get(run) ?? (await countFailing(db, run));
    const sample = failingRows === 0 ? [] : (await named(run.test, () => db.all(`SELECT * FROM (${run.sql}) LIMIT ${SAMPLE_ROWS}`))).map(plain);
    results.push({ name, model, severity, description, status: failingRows > 0 ? 'fail' : 'pass', failingRows, sample });
  }
  return results;
}

/** The failing rows of each run, in one query; one query each when that fails, to name the test that does not run. */
async function countAll<T extends TestRun>(db: Warehouse, runs: readonly T[]): Promise<[T, number][]> {
  try {
    const rows = await db.all<{ i: number; n: number }>(runs.map((r, i) => `SELECT ${i} AS i, count(*) AS n FROM (${r.sql})`).join('\nUNION ALL\n'));
    return rows.map((r) => [runs[r.i]!, Number(r.n)]);
  } catch {
    const counted: [T, number][] = [];
    for (const run of runs) counted.push([run, await countFailing(db, run)]);
    return counted;
  }
}

function countFailing(db: Warehouse, { test, sql }: TestRun): Promise<number> {
  return named(test, async () => Number((await db.one<{ n: number }>(`SELECT count(*) AS n FROM (${sql})`))!.n));
}

/** A query of `test`, its failure a model error that names the test. */
async function named<T>(test: DataTest, query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    throw new ModelError(`data test ${test.name}: its SQL does not run: ${messageOf(error)}`, {
      action: 'fix the test in the model header or in sql/tests/',
      cause: error,
    });
  }
}

type LastResult = { status: string; change_id: number | null; description: string };

/** Each test's last result, by test and model. */
async function lastResults(db: Warehouse): Promise<Map<string, LastResult>> {
  const rows = await db.all<LastResult & { test_name: string; model: string | null }>(
    `SELECT test_name, model, status, change_id, description FROM ops.test_results
     QUALIFY row_number() OVER (PARTITION BY test_name, model ORDER BY tested_at DESC) = 1`,
  );
  return new Map(rows.map((r) => [`${r.test_name}\0${r.model}`, r]));
}

/**
 * The last change the test saw when it last ran, if it passed then, as it is now: the same
 * model, and the same description, which spells out its columns, values or expression.
 */
function passedAt(last: ReadonlyMap<string, LastResult>, test: DataTest): number | undefined {
  const result = last.get(`${test.name}\0${test.model ?? null}`);
  if (result?.description !== test.description) return undefined;
  return result.status === 'pass' && result.change_id !== null ? Number(result.change_id) : undefined;
}

/**
 * Records the results, with the last change of the models they saw (`changeId`). One statement
 * for all: a row each took a night a few hundred milliseconds.
 */
export async function recordTestResults(db: Warehouse, runId: string, results: readonly TestResult[], changeId: number | null): Promise<void> {
  if (results.length === 0) return;
  const rows = results.map((_, i) => `(${Array.from({ length: 8 }, (_, j) => `$${i * 8 + j + 1}`).join(', ')}, current_timestamp, $${results.length * 8 + 1})`);
  await db.run(
    `INSERT INTO ops.test_results (run_id, test_name, model, severity, status, failing_rows, sample, description, tested_at, change_id) VALUES ${rows.join(', ')}`,
    [...results.flatMap((r) => [runId, r.name, r.model ?? null, r.severity, r.status, r.failingRows, JSON.stringify(r.sample), r.description]), changeId],
  );
}

/** A row as JSON would carry it: dates as ISO text. */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? String(v) : v]));
}
