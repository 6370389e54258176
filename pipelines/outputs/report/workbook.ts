// The report workbook an office sends to the province as is: Biểu 06 and the tables of
// digitization, online service, online payment, feedback, budget and PAR-index criteria for one
// period, read from the Parquet marts of a published release (what the dashboards show too).
// forms.ts says what each sheet holds, release.ts reads it, sheets.ts lays it out, excel.ts writes
// it (cells.ts, signatures.ts), sized by columns.ts and metrics.ts, paginated by print.ts.
import { createHash } from 'node:crypto';
import { link, mkdir, readFile, realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { codeHash } from '../../../core/files.js';
import { addSheet, reportWorkbook, save, saveWhole } from './excel.js';
import { openRelease, readReport, type OpenRelease } from './release.js';

type Report = Awaited<ReturnType<typeof readReport>>;

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

/** The workbook of a period in the last release: its fingerprint (fingerprintOf), and the SHA-256 of the file as written. */
export type LastWorkbook = { path: string; fingerprint: string; sha256: string };
export type PublishedReport = ReportResult & { fingerprint: string; sha256: string; carried: boolean };

/**
 * Writes the report of each period of `reports` from a release opened once (the publish's), into
 * the release's folder while it is written: no reader sees it before the publish has flushed the
 * whole folder, so each workbook is written in place, not aside and flushed alone.
 *
 * A night changes the figures of a period or two. A report whose fingerprint is that of the last
 * release's workbook of its period (`last`) is carried over, as a hard link to that workbook, not
 * written again: it names the release that wrote it and is signed on the day it was written. Not
 * when that file is no longer as it was written (saved again by hand).
 */
export async function writeReports(
  release: OpenRelease,
  reports: Omit<ReportOptions, 'releaseDir'>[],
  last: ReadonlyMap<string, LastWorkbook> = new Map(),
): Promise<PublishedReport[]> {
  const written: PublishedReport[] = [];
  for (const { period, out, writtenAt } of reports) {
    const report = await readReport(release, period, writtenAt ?? new Date());
    const path = resolve(out);
    const fingerprint = fingerprintOf(report);
    const before = last.get(period);
    const carried = before?.fingerprint === fingerprint && (await sha256Of(before.path)) === before.sha256 && (await linked(before.path, path));
    if (!carried) await writeWorkbook(report, path, save);
    written.push({ out: path, sheets: report.sheets.map((s) => s.name), fingerprint, sha256: carried ? before.sha256 : (await sha256Of(path))!, carried });
  }
  return written;
}

async function writeFrom(release: OpenRelease, options: Omit<ReportOptions, 'releaseDir'>): Promise<ReportResult> {
  const report = await readReport(release, options.period, options.writtenAt ?? new Date());
  const out = resolve(options.out);
  await writeWorkbook(report, out);
  return { out, sheets: report.sheets.map((s) => s.name) };
}

async function writeWorkbook(report: Report, out: string, write = saveWhole): Promise<void> {
  const workbook = reportWorkbook();
  workbook.creator = 'cchc-warehouse';
  for (const sheet of report.sheets) addSheet(workbook, report.heading, sheet);
  await write(workbook, out);
}

/**
 * What a report's workbook is written from, but the release its source line names and the day it
 * is signed, which change every night; with the code of this folder, which lays it out.
 */
function fingerprintOf(report: Report): string {
  const figures = { ...report.heading, source: '', placeAndDate: '' };
  return createHash('sha256').update(codeHash([import.meta.dirname])).update(JSON.stringify([figures, report.sheets])).digest('hex');
}

/** The SHA-256 of a workbook's bytes; none when it cannot be read. */
function sha256Of(path: string): Promise<string | undefined> {
  return readFile(path).then((bytes) => createHash('sha256').update(bytes).digest('hex'), () => undefined);
}

/** Links `to` to the last release's workbook; false if it cannot be (gone, another file system), to be written instead. */
async function linked(from: string, to: string): Promise<boolean> {
  await mkdir(dirname(to), { recursive: true });
  return link(from, to).then(() => true, () => false);
}
