// Reading the release: the period asked for, the heading of the report, and the rows of each
// mart, from the Parquet files of one published release.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CchcError } from '../../../core/errors.js';
import { ident, literal, Warehouse, type Row } from '../../../core/warehouse.js';
import { MARTS, UNIT_TABLES, type FactMart, type Heading, type Mart, type Sheet } from './forms.js';
import { budgetSheet, parSheet, unitSheet, type Level } from './sheets.js';
import { committeeOf, isoDay, placeAndDate, vietnameseDate } from './vietnamese.js';

/** The period asked for is not one of the release: a wrong command line, hence exit code 2. */
export class UnknownPeriodError extends CchcError {
  override readonly exitCode = 2;
}

export type Period = {
  period_key: string;
  period_type: string;
  period_label: string;
  year: number;
  period_start: Date;
  period_end: Date;
  is_complete: boolean;
};

/**
 * A release opened for reports: its marts read once from Parquet into an in-memory database, so
 * that the publish writes the workbook of every complete period for little more than one.
 * `unitRows` of a mart are read for every period of a type at its first use, then kept (the
 * release does not change): one query per mart and type instead of one per mart and period, most
 * of a workbook's reading.
 */
export type OpenRelease = { dir: string; db: Warehouse; mart: MartReader; close: () => void; unitRows: Map<string, Promise<Map<string, Row[]>>> };

/** A mart of the open release, by name (dim_unit with its `file_row_number`, the register's order). */
export type MartReader = (name: Mart) => string;

export async function openRelease(releaseDir: string): Promise<OpenRelease> {
  const path = (name: Mart) => join(releaseDir, 'marts', `${name}.parquet`);
  const missing = MARTS.filter((name) => !existsSync(path(name)));
  if (missing.length > 0) {
    throw new CchcError(`the release ${releaseDir} has no ${missing.map((m) => `${m}.parquet`).join(', ')}`, {
      action: 'pass the folder of a published release (<publish_dir>/current), or run `npx cchc run` until every source has been published once',
    });
  }
  const db = await Warehouse.open(':memory:');
  try {
    for (const name of MARTS) {
      await db.run(`CREATE TABLE ${ident(name)} AS SELECT * FROM read_parquet(${literal(path(name))}${name === 'dim_unit' ? ', file_row_number = true' : ''})`);
    }
  } catch (error) {
    db.close();
    throw error;
  }
  return { dir: releaseDir, db, mart: ident, close: () => db.close(), unitRows: new Map() };
}

/** The report of `periodKey` from an open release, signed on `writtenAt`. */
export async function readReport(release: OpenRelease, periodKey: string, writtenAt: Date): Promise<{ heading: Heading; sheets: Sheet[] }> {
  const { db, mart, dir: releaseDir } = release;
  const period = await findPeriod(db, mart, periodKey, releaseDir);
  const heading = await headingOf(db, mart, period, releaseDir, writtenAt);
  const levels = await db.all<Level>(
    `SELECT level, unit_name AS label FROM ${mart('dim_unit')} WHERE is_rollup AND level IS NOT NULL ORDER BY level_position`,
  );
  const sheets: Sheet[] = [];
  for (const table of UNIT_TABLES) {
    // The deployment's name: in 2025 its units are a city's until 30 June and a province's after.
    const title = `${table.title} – ${heading.deployment.toLocaleUpperCase('vi-VN')}`;
    sheets.push(unitSheet({ ...table, title }, levels, await unitRows(release, table.mart, period)));
  }
  sheets.push(budgetSheet(await budgetLines(db, mart, period.period_key)));
  sheets.push(await parSheet(db, mart, period));
  return { heading, sheets };
}

async function findPeriod(db: Warehouse, mart: MartReader, periodKey: string, releaseDir: string): Promise<Period> {
  const [period] = await db.all<Period>(`SELECT * FROM ${mart('dim_period')} WHERE period_key = $1`, [periodKey]);
  if (period) return period;
  const complete = await db.all<{ period_type: string; keys: string }>(
    `SELECT period_type, string_agg(period_key, ', ' ORDER BY period_start) AS keys FROM ${mart('dim_period')}
     WHERE is_complete AND period_type IN ('year', 'quarter') GROUP BY period_type ORDER BY period_type DESC`,
  );
  const listed = complete.map((c) => `complete ${c.period_type === 'year' ? 'years' : 'quarters'}: ${c.keys}`).join('; ');
  throw new UnknownPeriodError(`no period "${periodKey}" in the release ${releaseDir} (${listed || 'no complete year or quarter yet'})`, {
    action: 'pass --period with one of them, a year as 2023 or a quarter as 2024-Q1 (halves and months such as 2023-H2 or 2024-03 work too)',
  });
}

async function headingOf(db: Warehouse, mart: MartReader, period: Period, releaseDir: string, writtenAt: Date): Promise<Heading> {
  // The reporting unit is the entity at the top of the register at the end of the period:
  // UBND thành phố Đồng Hới for 2023, UBND tỉnh Quảng Trị for 2026; the register says whom it
  // reports to (a release published before dim_unit had reports_to has none).
  const [entity] = await db.all<{ unit_name: string; reports_to?: string | null }>(
    `SELECT * FROM ${mart('dim_unit')}
     WHERE parent_code IS NULL AND NOT is_rollup AND $1::DATE BETWEEN coalesce(valid_from, DATE '0001-01-01') AND coalesce(valid_to, DATE '9999-12-31')
     ORDER BY valid_from DESC NULLS LAST LIMIT 1`,
    [isoDay(period.period_end)],
  );
  const [deployment] = await db.all<{ unit_name: string }>(`SELECT unit_name FROM ${mart('dim_unit')} WHERE unit_type = 'total'`);
  const manifest = readManifest(releaseDir);
  const asOf = manifest?.data_as_of ? ` (số liệu cập nhật đến ngày ${vietnameseDate(new Date(manifest.data_as_of))})` : '';
  const running = period.is_complete ? '' : '; kỳ báo cáo chưa kết thúc';
  return {
    reportingUnit: committeeOf(entity?.unit_name ?? deployment?.unit_name ?? ''),
    receivingUnit: entity?.reports_to ?? null,
    deployment: deployment?.unit_name ?? '',
    period:
      `Kỳ báo cáo: ${period.period_label} (từ ngày ${vietnameseDate(period.period_start)} ` +
      `đến ngày ${vietnameseDate(period.period_end)}${running})`,
    source: `Nguồn: kho dữ liệu CCHC, bản phát hành ${manifest?.run_id ?? releaseDir}${asOf}.`,
    placeAndDate: placeAndDate(deployment?.unit_name ?? '', writtenAt),
  };
}

function readManifest(releaseDir: string): { run_id?: string; data_as_of?: string | null } | undefined {
  const path = join(releaseDir, 'manifest.json');
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

/**
 * The mart's rows of the period, units in the order of the register, each unit that existed in
 * part of the period only named with its dates: 2025 lists phường Đồng Sơn twice, the ward of
 * the city until 30/06 and that of the province from 01/07.
 */
export async function unitRows(release: OpenRelease, name: FactMart, period: Pick<Period, 'period_key' | 'period_type'>): Promise<Row[]> {
  // The periods of the type asked for: the publish's workbooks read quarters and years only.
  const read = `${name} ${period.period_type}`;
  if (!release.unitRows.has(read)) release.unitRows.set(read, byPeriod(release, name, period.period_type));
  return (await release.unitRows.get(read)!).get(period.period_key) ?? [];
}

async function byPeriod({ db, mart }: OpenRelease, name: FactMart, periodType: string): Promise<Map<string, Row[]>> {
  const rows = await db.all(
    `SELECT f.* REPLACE (f.unit_name || CASE
         WHEN f.scope <> 'unit' THEN ''
         WHEN u.valid_from > f.period_start AND u.valid_to < f.period_end
           THEN ' (từ ' || strftime(u.valid_from, '%d/%m/%Y') || ' đến ' || strftime(u.valid_to, '%d/%m/%Y') || ')'
         WHEN u.valid_from > f.period_start THEN ' (từ ' || strftime(u.valid_from, '%d/%m/%Y') || ')'
         WHEN u.valid_to < f.period_end THEN ' (đến ' || strftime(u.valid_to, '%d/%m/%Y') || ')'
         ELSE '' END AS unit_name)
     FROM ${mart(name)} f
     LEFT JOIN (SELECT unit_code, valid_from, valid_to, file_row_number AS position FROM ${mart('dim_unit')}) u
       USING (unit_code)
     WHERE f.period_type = $1
     ORDER BY f.period_key, u.position NULLS LAST, f.unit_name`,
    [periodType],
  );
  const periods = new Map<string, Row[]>();
  for (const row of rows) {
    const key = String(row.period_key);
    if (!periods.has(key)) periods.set(key, []);
    periods.get(key)!.push(row);
  }
  return periods;
}

function budgetLines(db: Warehouse, mart: MartReader, periodKey: string): Promise<Row[]> {
  return db.all(`SELECT * FROM ${mart('fct_budget_execution')} WHERE period_key = $1 AND item_key IS NOT NULL ORDER BY item_path`, [periodKey]);
}
