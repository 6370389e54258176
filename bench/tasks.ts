// One measured task of the benchmark, run in a process of its own so that its peak memory is its
// own: `node --import tsx bench/tasks.ts <task> <json options>`. Prints one JSON line:
// { ms, rows, maxRssMb, ... }.
import { createReadStream } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import { z } from 'zod';
import { loadConfig } from '../config/load.js';
import { sniffCsv } from '../connectors/formats/csv.js';
import { readXlsx } from '../connectors/formats/xlsx.js';
import { motcua } from '../connectors/motcua.js';
import { CONNECTORS } from '../connectors/registry.js';
import { createLogger } from '../core/log.js';
import { ident, literal, Warehouse } from '../core/warehouse.js';
import { buildModels } from '../pipelines/models/build.js';
import { discoverModels } from '../pipelines/models/graph.js';
import { writeSettings } from '../pipelines/models/settings.js';
import { keepBuild } from '../pipelines/models/swap.js';
import { runJob } from '../pipelines/run.js';
import { deploymentReference, prepareWarehouse } from '../pipelines/setup/layout.js';

type Options = { config?: string; inbox?: string; dataDir?: string; out?: string; rows?: number; files?: string[]; memoryLimit?: string };

const tasks: Record<string, (o: Options) => Promise<Record<string, unknown>>> = {
  /** The job itself, end to end, as `cchc run` runs it. */
  async job(o) {
    const summary = await runJob(loadConfig({ file: o.config }), createLogger({ level: 'warn' }));
    if (summary.outcome !== 'success') throw new Error(`the run was ${summary.outcome}: ${JSON.stringify(summary.errors)}`);
    // The dossier rows, as the other measures count them (the procedure catalogue aside).
    const rows = (summary.stages.load?.loads ?? []).filter((l) => l.file.startsWith('ho-so-')).reduce((n, l) => n + l.rowsLoaded, 0);
    return { rows, stages: summary.stageMs };
  },

  /**
   * The floor: what DuckDB alone needs for the same result. The exports read by DuckDB's CSV
   * reader straight into the raw table, the same SQL models, the marts written as Parquet; no
   * landing, no checks of the values, no data tests, no snapshot, no ledger. A row's number is
   * its place in the scan (its row id, given as the job gives it), unique in its file as the
   * models need it: they join a winning version back to its row by it. Its 2023 total is
   * returned to be held against the job's.
   */
  async floor(o) {
    const config = loadConfig({ file: o.config });
    const db = await Warehouse.open(join(o.dataDir!, 'floor.duckdb'), { threads: config.duckdb.threads, memory_limit: config.duckdb.memory_limit, temp_directory: join(o.dataDir!, 'tmp') });
    try {
      await prepareWarehouse(db, CONNECTORS, { sqlDir: config.paths.sqlDir, reference: deploymentReference(config) });
      const files = (await readdir(o.inbox!)).filter((n) => n.startsWith('ho-so-')).sort();
      // The scaled exports share one header: the columns of the contract under their Vietnamese names.
      const { headers } = await sniffCsv(join(o.inbox!, files[0]!), files[0]!);
      const byHeader = new Map(motcua.tables.dossiers!.columns.map((c) => [c.aliases[0] ?? c.name, c.name]));
      const columns = `{${headers.map((h) => `${literal(h)}: 'VARCHAR'`).join(', ')}}`;
      await db.transaction(async () => {
        await db.run(
          `INSERT INTO raw.motcua__dossiers (_load_id, _file, ${headers.map((h) => ident(byHeader.get(h)!)).join(', ')})
           SELECT list_position(${sqlList(files)}, parse_filename(filename)), parse_filename(filename), ${headers.map(ident).join(', ')}
           FROM read_csv(${sqlList(files.map((f) => join(o.inbox!, f)))}, header = true, auto_detect = false, delim = ',', quote = '"',
                         filename = true, columns = ${columns})`,
        );
        await db.run('UPDATE raw.motcua__dossiers SET _row = rowid + 1');
      });
      await writeSettings(db, config);
      await buildModels(db, discoverModels(config.paths.sqlDir));
      await keepBuild(db);
      const marts = await db.all<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'marts'`);
      for (const { name } of marts) await db.run(`COPY marts.${ident(name)} TO ${literal(join(o.dataDir!, `${name}.parquet`))} (FORMAT parquet, COMPRESSION zstd)`);
      const rows = (await db.one<{ n: number }>('SELECT count(*) AS n FROM raw.motcua__dossiers'))!.n;
      const total = await db.one<{ n: number }>(`SELECT received_total AS n FROM marts.fct_tthc_resolution WHERE scope = 'total' AND period_key = '2023'`);
      return { rows, total2023: total?.n ?? null };
    } finally {
      db.close();
    }
  },

  /**
   * The physical floor: bench/physical-floor.sql, written without the project's code or models,
   * reads the exports, keeps each dossier's latest version, classifies Biểu 06 by quarter, year
   * and unit and writes Parquet. Its 2023 total is returned to be set beside the job's.
   */
  async physicalFloor(o) {
    const files = (await readdir(o.inbox!)).filter((n) => n.startsWith('ho-so-')).sort().map((f) => join(o.inbox!, f));
    const out = join(o.dataDir!, 'bieu-06.parquet');
    const script = (await readFile(join(import.meta.dirname, 'physical-floor.sql'), 'utf8')).replaceAll('{{files}}', sqlList(files)).replaceAll('{{out}}', literal(out));
    const db = await Warehouse.open(join(o.dataDir!, 'physical-floor.duckdb'), { threads: 2, memory_limit: o.memoryLimit ?? '2GB', temp_directory: join(o.dataDir!, 'tmp') });
    try {
      await db.runScript(script);
      const total = await db.one<{ n: number }>(`SELECT received_total AS n FROM read_parquet(${literal(out)}) WHERE unit = 'Tổng cộng' AND period_key = '2023'`);
      return { rows: 0, total2023: total?.n ?? null };
    } finally {
      db.close();
    }
  },

  /** What a straightforward TypeScript loader does: csv-parse, a zod schema per row, DuckDB's appender. */
  async rowByRow(o) {
    const db = await Warehouse.open(join(o.dataDir!, 'row-by-row.duckdb'), { threads: 2, memory_limit: o.memoryLimit ?? '2GB' });
    const table = motcua.tables.dossiers!;
    const byHeader = new Map(table.columns.map((c) => [c.aliases[0] ?? c.name, c.name]));
    const date = z.string().regex(/^(\d{2}\/\d{2}\/\d{4}( \d{2}:\d{2}(:\d{2})?)?|\d{4}-\d{2}-\d{2}.*)?$/);
    const row = z.object(Object.fromEntries(table.columns.map((c) => [c.name, c.type === 'timestamp' ? date.optional() : z.string().optional()])));
    try {
      await db.run(`CREATE TABLE dossiers (${table.columns.map((c) => `${ident(c.name)} VARCHAR`).join(', ')})`);
      const appender = await db.appender('dossiers');
      let rows = 0;
      for (const file of o.files!) {
        const parser = createReadStream(file).pipe(parse({ columns: (headers: string[]) => headers.map((h) => byHeader.get(h) ?? h), bom: true }));
        for await (const record of parser as AsyncIterable<Record<string, string>>) {
          const checked = row.parse(record);
          for (const c of table.columns) {
            const value = checked[c.name];
            if (value === undefined || value === '') appender.appendNull();
            else appender.appendVarchar(value);
          }
          appender.endRow();
          if (++rows >= o.rows!) break;
        }
        if (rows >= o.rows!) break;
      }
      appender.closeSync();
      return { rows };
    } finally {
      db.close();
    }
  },

  /** Writes an XLSX export of `rows` rows from the CSV files, with exceljs's streaming writer. */
  async writeXlsx(o) {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: o.out!, useSharedStrings: false, useStyles: false });
    const sheet = workbook.addWorksheet('Danh sách hồ sơ');
    let rows = 0;
    let header = true;
    for (const file of o.files!) {
      for await (const record of createReadStream(file).pipe(parse({ bom: true })) as AsyncIterable<string[]>) {
        if (header) sheet.addRow(record).commit();
        header = false;
        if (record[0] === 'Mã hồ sơ') continue;
        sheet.addRow(record).commit();
        if (++rows >= o.rows!) break;
      }
      header = false;
      if (rows >= o.rows!) break;
    }
    sheet.commit();
    await workbook.commit();
    return { rows };
  },

  /** The job's XLSX reader into DuckDB: the sheet scanned as it inflates, and the appender. */
  async readXlsx(o) {
    // The rows read pile up in DuckDB: in a `:memory:` database they would count in this process's
    // peak memory and make it grow with the file, whatever the reader does. A database file whose
    // memory_limit is below what even the smaller workbook's rows take spills them to its temp
    // directory instead, so the peak is the reader's (the job's --memory-limit is not used here).
    const dir = join(dirname(o.out!), 'xlsx-tmp');
    await rm(dir, { recursive: true, force: true });
    const db = await Warehouse.open(join(dir, 'read-xlsx.duckdb'), { threads: 2, memory_limit: '64MB', temp_directory: join(dir, 'tmp') });
    try {
      const result = await readXlsx(db, o.out!, 'bench.xlsx', motcua.tables.dossiers!, {});
      return { rows: result.rowsRead };
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

function sqlList(values: string[]): string {
  return `[${values.map(literal).join(', ')}]`;
}

const [name, json] = process.argv.slice(2);
const task = tasks[name ?? ''];
if (!task) throw new Error(`unknown task ${name}: ${Object.keys(tasks).join(', ')}`);
const started = performance.now();
const result = await task(JSON.parse(json ?? '{}') as Options);
console.log(JSON.stringify({ ...result, ms: Math.round(performance.now() - started), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
