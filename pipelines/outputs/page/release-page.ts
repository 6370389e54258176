// What a release holds for people who do not write SQL: the report workbook of every complete
// quarter and year (reports/), and index.html, the page that shows the headline figures, Biểu 06
// and the state of the data, and links every file of the release. Both read the release's own
// Parquet files, opened once into memory, as `cchc report` does.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../../config/load.js';
import type { Logger } from '../../../core/log.js';
import type { Warehouse } from '../../../core/warehouse.js';
import { readSummaries } from '../../ops/ledger.js';
import type { QuarantineReport } from '../../stages/quarantine-report.js';
import { MARTS } from '../report/forms.js';
import { openRelease, type OpenRelease } from '../report/release.js';
import { writeReports, type LastWorkbook } from '../report/workbook.js';
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
  manifest: { published_at: string; data_as_of: string | null };
  marts: readonly { name: string; file: string; rows: number; bytes: number }[];
  snapshot: string;
  metabaseInit: string;
  /** What this run's load said of each source's quarantine; the others are taken from the ledger. */
  quarantine: Record<string, QuarantineReport>;
  /** The folder of the last release, whose workbooks are carried over where their figures did not change. */
  last?: string | undefined;
};

/** Writes the workbooks and index.html into the release; returns the workbooks written. */
export async function writeReleasePage(files: ReleaseFiles): Promise<Workbook[]> {
  const published = new Set(files.marts.map((m) => m.name));
  // A source that never loaded leaves marts unbuilt: no figures, and the page says which are missing.
  const missing = MARTS.filter((m) => !published.has(m));
  if (missing.length > 0) files.log.warn({ stage: 'publish', missing }, 'no report workbooks and no figures on the page: some marts are not built yet');
  const release = missing.length === 0 ? await openRelease(files.dir) : undefined;
  try {
    const workbooks = release ? await writeWorkbooks(release, files.last) : [];
    const links: Link[] = [
      ...files.marts.map((m) => ({ label: m.name, file: m.file, detail: `Parquet, ${formatValue(m.rows, 'count')} dòng, ${formatBytes(m.bytes)}` })),
      { label: 'Bản sao DuckDB chỉ đọc', file: files.snapshot, detail: 'cho truy vấn SQL (cchc query)' },
      { label: 'SQL khởi tạo cho Metabase', file: files.metabaseInit, detail: 'một view cho mỗi mart' },
      { label: 'Bản kê của bản phát hành', file: 'manifest.json', detail: 'JSON' },
    ];
    const quarantine = { ...(await lastQuarantine(files.config)), ...files.quarantine };
    const data = await readPage({ db: files.db, config: files.config, runId: files.runId, manifest: files.manifest, release, missing, quarantine, links, workbooks });
    await writeFile(join(files.dir, PAGE_FILE), renderPage(data));
    return workbooks;
  } finally {
    release?.close();
  }
}

/** The report of every complete quarter and year; those of the last release (`last`) carried over where they can be. */
async function writeWorkbooks(release: OpenRelease, last: string | undefined): Promise<Workbook[]> {
  const periods = await release.db.all<{ period_key: string; period_label: string }>(
    `SELECT period_key, period_label FROM ${release.mart('dim_period')} WHERE is_complete AND period_type IN ('quarter', 'year') ORDER BY period_start DESC, period_type`,
  );
  const files = periods.map((p) => join(REPORTS_DIR, `bao-cao-${p.period_key}.xlsx`));
  const written = await writeReports(release, periods.map((p, i) => ({ period: p.period_key, out: join(release.dir, files[i]!) })), await lastWorkbooks(last));
  return periods.map((p, i) => {
    const { fingerprint, sha256, carried } = written[i]!;
    return { period_key: p.period_key, label: p.period_label, file: files[i]!, fingerprint, sha256, carried };
  });
}

/** The workbooks of the last release by period, as its manifest lists them (none before they had fingerprints). */
async function lastWorkbooks(last: string | undefined): Promise<Map<string, LastWorkbook>> {
  if (!last) return new Map();
  const manifest = await readFile(join(last, 'manifest.json'), 'utf8').then((text) => JSON.parse(text) as { reports?: Partial<Workbook>[] }, () => undefined);
  return new Map(
    (manifest?.reports ?? []).flatMap((r) => (r.period_key && r.file && r.fingerprint && r.sha256 ? [[r.period_key, { path: join(last, r.file), fingerprint: r.fingerprint, sha256: r.sha256 }] as const] : [])),
  );
}

/** Each source's quarantine as the latest run that loaded it judged it: a run that did not load a source (--only publish) still shows it. */
async function lastQuarantine(config: Config): Promise<Record<string, QuarantineReport>> {
  const found: Record<string, QuarantineReport> = {};
  for (const run of await readSummaries(config.paths.dataDir, 50)) {
    for (const [source, report] of Object.entries(run.sources ?? {})) if (report.quarantine && !found[source]) found[source] = report.quarantine;
  }
  return found;
}
