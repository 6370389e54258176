// The YAML header that opens each model's SQL file: description, grain, primary key,
// materialization, column descriptions and data tests, validated with zod so that a typo in a
// header is an error that names the file, not a model built wrong.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { messageOf, ModelError } from '../../core/errors.js';
import type { Model } from './graph.js';

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

export const headerSchema = z.strictObject({
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
   * last build only, and merges the result by unique_key, keeping each key's latest version (the
   * latest_version macro of sql/setup.sql, with which the model keeps it too) and adding up the
   * add_up counts.
   */
  incremental: z
    .strictObject({
      unique_key: column.optional(),
      add_up: z.array(column).default([]),
      /**
       * An incremental model it is built from (`staging.stg_motcua__dossiers`), sharing its key:
       * a run rebuilds only the keys whose rows that model's merges changed since the last build,
       * instead of merging raw rows.
       */
      from: z.string().regex(/^(staging|intermediate)\.[a-z][a-z0-9_]*$/).optional(),
      /**
       * Instead of a key, a column whose values part the rows (period_key): a run rebuilds the
       * parts that the changed keys of `from` fall in, before or after their change, and those
       * whose row in the `partitions` model (intermediate.int_periods) changed (partitions.ts).
       */
      partition_by: column.optional(),
      partitions: z.string().regex(/^(staging|intermediate)\.[a-z][a-z0-9_]*$/).optional(),
    })
    .refine((i) => (i.unique_key === undefined) !== (i.partition_by === undefined), 'a unique_key, or a partition_by column, not both')
    .refine((i) => i.partition_by === undefined || (i.from !== undefined && i.partitions !== undefined && i.add_up.length === 0), 'partition_by goes with from and partitions (and no add_up)')
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
  /** Sets of tests that several models carry, declared once in sql/shared_tests.yaml; run before the model's own tests. */
  shared_tests: z.array(z.string()).default([]),
  tests: z.array(testSchema).default([]),
});
export type ModelHeader = z.output<typeof headerSchema>;

const HEADER = /^\s*\/\*([\s\S]*?)\*\//;

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

const sharedTestSets = new Map<string, Record<string, DeclaredTest[]>>();

/** The tests of the sets a header names in shared_tests, from sql/shared_tests.yaml. */
export function sharedTests(sqlDir: string, names: readonly string[], file: string): DeclaredTest[] {
  if (names.length === 0) return [];
  let sets = sharedTestSets.get(sqlDir);
  if (!sets) {
    const path = join(sqlDir, 'shared_tests.yaml');
    sets = parseHeader(z.record(z.string(), z.array(testSchema)), parseYaml(readFileSync(path, 'utf8')), path);
    sharedTestSets.set(sqlDir, sets);
  }
  return names.flatMap((name) => {
    const tests = sets[name];
    if (!tests) {
      throw new ModelError(`${file}: shared_tests names ${name}, which sql/shared_tests.yaml does not declare`, {
        action: `name one of: ${Object.keys(sets).join(', ')}`,
      });
    }
    return tests;
  });
}

const sharedColumns = new Map<string, Record<string, string>>();

/** Descriptions of the columns many models share (sql/shared_columns.yaml), read once per folder. */
export function sharedColumnDescriptions(sqlDir: string): Record<string, string> {
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

