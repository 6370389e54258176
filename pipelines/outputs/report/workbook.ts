// The report workbook an office sends to the province as is: Biểu 06 and the tables of
// digitization, online service, online payment, feedback, budget and PAR-index criteria for one
// period, read from the Parquet marts of a published release (what the dashboards show too).
// forms.ts says what each sheet holds, release.ts reads it, sheets.ts lays it out, excel.ts writes it.
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import ExcelJS from 'exceljs';
import { addSheet, saveWhole } from './excel.js';
import { readReport } from './release.js';

export { UnknownPeriodError } from './release.js';

export type ReportOptions = { releaseDir: string; period: string; out: string };
export type ReportResult = { out: string; sheets: string[] };

/** Writes the report workbook of `period` from the release in `releaseDir` to `out`, whole or not at all. */
export async function writeReport(options: ReportOptions): Promise<ReportResult> {
  // `current` resolved once: a publish during the report must not mix two releases in one workbook.
  const releaseDir = await realpath(options.releaseDir).catch(() => options.releaseDir);
  const contents = await readReport(releaseDir, options.period);
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'cchc-warehouse';
  for (const sheet of contents.sheets) addSheet(workbook, contents.heading, sheet);
  const out = resolve(options.out);
  await saveWhole(workbook, out);
  return { out, sheets: contents.sheets.map((s) => s.name) };
}
