// What a release holds for people who do not write SQL: the report workbook of every complete
// quarter and year (reports/), and index.html, the page that shows the headline figures, Biểu 06
// and the state of the data, and links every file of the release.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../../config/load.js';
import type { Logger } from '../../../core/log.js';
import type { Warehouse } from '../../../core/warehouse.js';
import type { QuarantineReport } from '../../stages/quarantine-report.js';
import { MARTS } from '../report/forms.js';
import { writeReports } from '../report/workbook.js';
import { readPage, type Link, type Workbook } from './data.js';
import { formatBytes, formatValue } from './format.js';
import { renderPage } from './html.js';

export const PAGE_FILE = 'index.html';
export const REPORTS_DIR = 'reports';

export type ReleaseFiles = {
  db: Warehouse;
  config: Config;
  runId: string;
  log: Logger;
  /** The release being written, with its marts, snapshot, manifest and init SQL already in it. */
  dir: string;
  marts: readonly { name: string; file: string; rows: number; bytes: number }[];
  snapshot: string;
  metabaseInit: string;
  quarantine: Record<string, QuarantineReport>;
};

/** Writes the workbooks and index.html into the release; returns the workbooks written. */
export async function writeReleasePage(release: ReleaseFiles): Promise<Workbook[]> {
  const workbooks = await writeWorkbooks(release);
  const links: Link[] = [
    ...release.marts.map((m) => ({ label: m.name, file: m.file, detail: `Parquet, ${formatValue(m.rows, 'count')} dòng, ${formatBytes(m.bytes)}` })),
    { label: 'Bản sao DuckDB chỉ đọc', file: release.snapshot, detail: 'cho truy vấn SQL (cchc query)' },
    { label: 'SQL khởi tạo cho Metabase', file: release.metabaseInit, detail: 'một view cho mỗi mart' },
    { label: 'Bản kê của bản phát hành', file: 'manifest.json', detail: 'JSON' },
  ];
  const data = await readPage({ db: release.db, config: release.config, runId: release.runId, quarantine: release.quarantine, links, workbooks });
  await writeFile(join(release.dir, PAGE_FILE), renderPage(data));
  return workbooks;
}

/**
 * The report of every complete quarter and year, read from the release's own Parquet files as
 * `cchc report` would. A deployment whose marts are not all built yet (a source never loaded)
 * has none.
 */
async function writeWorkbooks(release: ReleaseFiles): Promise<Workbook[]> {
  const published = new Set(release.marts.map((m) => m.name));
  const missing = MARTS.filter((m) => !published.has(m));
  if (missing.length > 0) {
    release.log.warn({ stage: 'publish', missing }, 'no report workbooks in this release: some marts are not built yet');
    return [];
  }
  const periods = await release.db.all<{ period_key: string; period_label: string }>(
    `SELECT period_key, period_label FROM marts.dim_period WHERE is_complete AND period_type IN ('quarter', 'year') ORDER BY period_start DESC, period_type`,
  );
  const workbooks = periods.map((p) => ({ period_key: p.period_key, label: p.period_label, file: join(REPORTS_DIR, `bao-cao-${p.period_key}.xlsx`) }));
  await writeReports(release.dir, workbooks.map((w) => ({ period: w.period_key, out: join(release.dir, w.file) })));
  return workbooks;
}
