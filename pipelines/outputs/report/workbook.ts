// The report workbook an office sends to the province as is: Biểu 06 and the tables of
// digitization, online service, online payment, feedback, budget and PAR-index criteria for one
// period, read from the Parquet marts of a published release (what the dashboards show too).
// forms.ts says what each sheet holds, release.ts reads it, sheets.ts lays it out, excel.ts writes
// it (cells.ts, signatures.ts), sized by columns.ts and metrics.ts, paginated by print.ts.
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { addSheet, reportWorkbook, save, saveWhole } from './excel.js';
import { openRelease, readReport, type OpenRelease } from './release.js';

export { UnknownPeriodError } from './release.js';

/** `writtenAt`, the day the forms are signed, is today unless told. */
export type ReportOptions = { releaseDir: string; period: string; out: string; writtenAt?: Date };
export type ReportResult = { out: string; sheets: string[] };

/** Writes the report workbook of `period` from the release in `releaseDir` to `out`, whole or not at all. */
export async function writeReport(options: ReportOptions): Promise<ReportResult> {
  // `current` resolved once: a publish during the report must not mix two releases in one workbook.
  const release = await openRelease(await realpath(options.releaseDir).catch(() => options.releaseDir));
  try {
    return await writeFrom(release, options);
  } finally {
    release.close();
  }
}

/**
 * Writes the report of each period of `reports` from a release opened once (the publish's), into
 * the release's folder while it is written: no reader sees it before the publish has flushed the
 * whole folder, so each workbook is written in place, not aside and flushed alone.
 */
export async function writeReports(release: OpenRelease, reports: Omit<ReportOptions, 'releaseDir'>[]): Promise<ReportResult[]> {
  const written: ReportResult[] = [];
  for (const report of reports) written.push(await writeFrom(release, report, save));
  return written;
}

async function writeFrom(release: OpenRelease, options: Omit<ReportOptions, 'releaseDir'>, write = saveWhole): Promise<ReportResult> {
  const contents = await readReport(release, options.period, options.writtenAt ?? new Date());
  const workbook = reportWorkbook();
  workbook.creator = 'cchc-warehouse';
  for (const sheet of contents.sheets) addSheet(workbook, contents.heading, sheet);
  const out = resolve(options.out);
  await write(workbook, out);
  return { out, sheets: contents.sheets.map((s) => s.name) };
}
