// Reading the release: the period asked for, the heading of the report, and the rows of each
// mart, from the Parquet files of one published release.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CchcError } from '../../../core/errors.js';
import { ident, literal, Warehouse, type Params, type Row } from '../../../core/warehouse.js';
import { MARTS, UNIT_TABLES, type FactMart, type Heading, type Mart, type Sheet } from './forms.js';
import { budgetSheet, parSheet, unitSheet, type Level } from './sheets.js';
import { committeeOf, placeAndDate, vietnameseDate } from './vietnamese.js';

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
 * that the publish writes the workbook of every complete period for little more than one. What a
 * report reads is read for every period at its first use, then kept in `read` (the release does
 * not change): a query per mart instead of one per mart and period, most of a workbook's reading.
 */
export type OpenRelease = { dir: string; db: Warehouse; mart: MartReader; close: () => void; read: Map<string, Promise<unknown>> };

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
  return { dir: releaseDir, db, mart: ident, close: () => db.close(), read: new Map() };
}

/** The report of `periodKey` from an open release, signed on `writtenAt`. */
export async function readReport(release: OpenRelease, periodKey: string, writtenAt: Date): Promise<{ heading: Heading; sheets: Sheet[] }> {
  const { db, mart } = release;
  const period = await findPeriod(release, periodKey);
  const heading = await headingOf(release, period, writtenAt);
  const levels = await once(release, 'levels', () =>
    db.all<Level>(`SELECT level, unit_name AS label FROM ${mart('dim_unit')} WHERE is_rollup AND level IS NOT NULL ORDER BY level_position`),
  );
  const sheets: Sheet[] = [];
  for (const table of UNIT_TABLES) {
    // The deployment's name: in 2025 its units are a city's until 30 June and a province's after.
    const title = `${table.title} – ${heading.deployment.toLocaleUpperCase('vi-VN')}`;
    sheets.push(unitSheet({ ...table, title }, levels, await unitRows(release, table.mart, period)));
  }
  sheets.push(budgetSheet((await byPeriodKey(release, 'budget', `SELECT * FROM ${mart('fct_budget_execution')} WHERE item_key IS NOT NULL ORDER BY period_key, item_path`)).get(period.period_key) ?? []));
  sheets.push(parSheet(period, (await parCriteria(release)).get(period.period_key) ?? []));
  return { heading, sheets };
}

/** What `read` gives, read at its first use from an open release, then kept. */
function once<T>(release: OpenRelease, key: string, read: () => Promise<T>): Promise<T> {
  if (!release.read.has(key)) release.read.set(key, read());
  return release.read.get(key) as Promise<T>;
}

/** The rows `sql` reads, by the period each is for (its column period_key, or for_period when it has one), in the order read. */
function byPeriodKey(release: OpenRelease, key: string, sql: string, params?: Params): Promise<Map<string, Row[]>> {
  return once(release, key, async () => {
    const periods = new Map<string, Row[]>();
    for (const { for_period, ...row } of await release.db.all(sql, params)) {
      const period = String(for_period ?? row.period_key);
      if (!periods.has(period)) periods.set(period, []);
      periods.get(period)!.push(row);
    }
    return periods;
  });
}

/**
 * The PAR-index criteria each period shows. Criteria are scored once a year: a quarter or a month
 * shows those of its year once assessed, else those of the last year assessed before it, which is
 * what the province has just published.
 */
function parCriteria(release: OpenRelease): Promise<Map<string, Row[]>> {
  const { mart } = release;
  return byPeriodKey(
    release,
    'par',
    `WITH shown AS (
       SELECT p.period_key AS for_period, (SELECT max_by(c.period_key, c.period_start) FROM ${mart('fct_par_criteria')} c WHERE c.period_end <= p.period_end) AS par_key
       FROM ${mart('dim_period')} p)
     SELECT s.for_period, c.* FROM shown s JOIN ${mart('fct_par_criteria')} c ON c.period_key = s.par_key
     ORDER BY s.for_period, string_split(c.criterion_code, '.')::INTEGER[]`,
  );
}

async function findPeriod(release: OpenRelease, periodKey: string): Promise<Period> {
  const { db, mart, dir: releaseDir } = release;
  const periods = await once(release, 'periods', async () => new Map((await db.all<Period>(`SELECT * FROM ${mart('dim_period')}`)).map((p) => [p.period_key, p])));
  const period = periods.get(periodKey);
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

async function headingOf(release: OpenRelease, period: Period, writtenAt: Date): Promise<Heading> {
  const { db, mart, dir: releaseDir } = release;
  // The reporting unit is the entity at the top of the register at the end of the period:
  // UBND thành phố Đồng Hới for 2023, UBND tỉnh Quảng Trị for 2026; the register says whom it
  // reports to (a release published before dim_unit had reports_to has none).
  const entities = await byPeriodKey(
    release,
    'entity',
    `SELECT * EXCLUDE (position) FROM (
       SELECT p.period_key AS for_period, u.*, row_number() OVER (PARTITION BY p.period_key ORDER BY u.valid_from DESC NULLS LAST) AS position
       FROM ${mart('dim_period')} p JOIN ${mart('dim_unit')} u
         ON u.parent_code IS NULL AND NOT u.is_rollup AND p.period_end::DATE BETWEEN coalesce(u.valid_from, DATE '0001-01-01') AND coalesce(u.valid_to, DATE '9999-12-31'))
     WHERE position = 1`,
  );
  const entity = entities.get(period.period_key)?.[0] as { unit_name: string; reports_to?: string | null } | undefined;
  const [deployment] = await once(release, 'deployment', () => db.all<{ unit_name: string }>(`SELECT unit_name FROM ${mart('dim_unit')} WHERE unit_type = 'total'`));
  const manifest = await once(release, 'manifest', async () => readManifest(releaseDir));
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
  const { mart } = release;
  const rows = await byPeriodKey(
    release,
    `${name} ${period.period_type}`,
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
    [period.period_type],
  );
  return rows.get(period.period_key) ?? [];
}
