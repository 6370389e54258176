// The one place that opens DuckDB, runs statements and turns DuckDB values into plain JS.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection, type DuckDBValue, type StatementType } from '@duckdb/node-api';

export type Row = Record<string, unknown>;
export type Params = DuckDBValue[] | Record<string, DuckDBValue>;

export type DuckDBSettings = { threads: number; memory_limit: string; temp_directory?: string };

/**
 * DuckDB's allocator (its own jemalloc) hands back what DuckDB's threads free when they go idle,
 * but what Node's worker threads free (they run the queries) only when the same thread allocates
 * again, or from a background thread; one may sit idle for a stage holding what the last stage
 * freed: a 30-million-row run peaked 1 GB over its memory_limit at the staging of the dossiers,
 * in one run of two.
 * The setting is the process's, and every instance sets it at its creation and unsets it at its
 * close: each is opened with it, and a close puts it back for those still open.
 */
const ALLOCATOR = { allocator_background_threads: 'true' };
const live = new Set<DuckDBInstance>();

export class Warehouse {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    readonly path: string,
    /** Closed with this connection: false for another() of an open warehouse. */
    private readonly ownsInstance = true,
  ) {}

  /**
   * Another connection to the same database, for work alongside this one's: a connection runs
   * one statement at a time, and a statement started on it while another runs breaks the other.
   * Closing it leaves the database open.
   */
  async another(): Promise<Warehouse> {
    return new Warehouse(this.instance, await this.instance.connect(), this.path, false);
  }

  /** Opens (or creates) a DuckDB database file; ':memory:' for a throwaway one. */
  static async open(path: string, settings?: DuckDBSettings): Promise<Warehouse> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const options: Record<string, string> = { ...ALLOCATOR };
    if (settings) {
      options.threads = String(settings.threads);
      options.memory_limit = settings.memory_limit;
      if (settings.temp_directory) {
        mkdirSync(settings.temp_directory, { recursive: true });
        options.temp_directory = settings.temp_directory;
      }
    }
    return Warehouse.of(await DuckDBInstance.create(path, options), path);
  }

  private static async of(instance: DuckDBInstance, path: string): Promise<Warehouse> {
    live.add(instance);
    return new Warehouse(instance, await instance.connect(), path);
  }

  /** Opens a database file read-only: any number of readers, and never a lock that blocks a writer of another file. */
  static async openReadOnly(path: string): Promise<Warehouse> {
    return Warehouse.of(await DuckDBInstance.create(path, { access_mode: 'READ_ONLY', ...ALLOCATOR }), path);
  }

  async run(sql: string, params?: Params): Promise<void> {
    await this.connection.run(sql, params);
  }

  /**
   * Inserts `rows` into `table` in one statement, each value a parameter, cast to its column's
   * type as INSERT does: a statement a row costs a round trip each, hundreds at every run.
   */
  async insertRows(table: string, rows: readonly (readonly DuckDBValue[])[]): Promise<void> {
    if (rows.length === 0) return;
    let n = 0;
    const values = rows.map((row) => `(${row.map(() => `$${++n}`).join(', ')})`);
    await this.run(`INSERT INTO ${table} VALUES ${values.join(', ')}`, rows.flat());
  }

  /** Runs a script of several statements, one after the other. */
  async runScript(sql: string): Promise<void> {
    const statements = await this.connection.extractStatements(sql);
    for (let i = 0; i < statements.count; i++) {
      const prepared = await statements.prepare(i);
      // Destroyed at once, as the client does in its own run(): a prepared statement left alive
      // holds on to catalog entries that later statements replace.
      try {
        await prepared.run();
      } finally {
        prepared.destroySync();
      }
    }
  }

  /** The kind of each statement of a script, prepared but not run. */
  async statementTypes(sql: string): Promise<StatementType[]> {
    const statements = await this.connection.extractStatements(sql);
    const types: StatementType[] = [];
    for (let i = 0; i < statements.count; i++) {
      const prepared = await statements.prepare(i);
      types.push(prepared.statementType);
      prepared.destroySync();
    }
    return types;
  }

  /** Rows as objects; BIGINT and HUGEINT become numbers when they fit, dates stay Dates. */
  async all<T = Row>(sql: string, params?: Params): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql, params);
    return reader.getRowObjectsJS().map((row) => {
      for (const [key, value] of Object.entries(row)) {
        if (typeof value === 'bigint' && Number.isSafeInteger(Number(value))) (row as Row)[key] = Number(value);
      }
      return row as T;
    });
  }

  async one<T = Row>(sql: string, params?: Params): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  /** Runs fn inside one transaction: all of its statements land, or none. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.run('BEGIN TRANSACTION');
    try {
      const result = await fn();
      await this.run('COMMIT');
      return result;
    } catch (error) {
      // DuckDB may have ended the transaction itself (a write that failed on a full disk): the
      // error to report is the one that ended it, not that there is nothing left to roll back.
      await this.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  appender(table: string, schema?: string): Promise<DuckDBAppender> {
    return this.connection.createAppender(table, schema);
  }

  close(): void {
    this.connection.closeSync();
    if (!this.ownsInstance) return;
    this.instance.closeSync();
    live.delete(this.instance);
    const open = live.values().next().value;
    // A failure leaves the memory to be returned later, as without the setting: nothing to report.
    if (open) void open.connect().then((c) => c.run(`SET GLOBAL allocator_background_threads = true`).finally(() => c.closeSync())).catch(() => undefined);
  }
}

/**
 * SQL: the rows of `table` (a table: views have no row ids) that `where` picks, whole. Found on
 * the columns `where` reads, then read by row id: a night's few thousand keys in a table of
 * millions, read whole wherever a row group might hold one, took up to twice as long.
 */
export function rowsWhere(table: string, where: string): string {
  return `(SELECT * FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${where}))`;
}

/** A SQL string literal. */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A SQL identifier. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A schema-qualified name (raw.motcua__dossiers), each part quoted. */
export function qualified(name: string): string {
  return name.split('.').map(ident).join('.');
}
