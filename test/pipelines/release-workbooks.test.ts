// The workbooks of a release: a night writes again only those whose figures changed, and carries
// the others over from the last release as they were. Real runs of `cchc run`; each workbook of
// the release is held cell for cell against one `cchc report` writes from the same release.
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, inject, it } from 'vitest';
import { queryFile } from '../helpers.js';
import { correctedToAugust, runCchc, sampleDeployment, UNTIL_W06 } from '../processes.js';

const sampleDir = inject('sampleDir');

type Listed = { period_key: string; file: string; fingerprint: string; sha256: string; carried_over: boolean };

/** The current release's folder and the workbooks its manifest lists. */
function current(data: string): { dir: string; reports: Listed[] } {
  const dir = realpathSync(join(data, 'publish', 'current'));
  return { dir, reports: (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { reports: Listed[] }).reports };
}

/** Every cell of every sheet, but the line naming the release, which a carried-over workbook names as it was written. */
async function cells(file: string): Promise<Record<string, unknown>> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  const all: Record<string, unknown> = {};
  workbook.eachSheet((ws) =>
    ws.eachRow((row, r) =>
      row.eachCell((cell, c) => {
        if (!String(cell.text).startsWith('Nguồn: kho dữ liệu CCHC, bản phát hành')) all[`${ws.name}!${r}:${c}`] = cell.value;
      }),
    ),
  );
  return all;
}

describe('the workbooks of a release', () => {
  it('are carried over from the last release where their figures did not change, and hold what `cchc report` writes', async () => {
    const { dir, inboxes, config, data } = sampleDeployment(sampleDir, UNTIL_W06);
    const run = async () => {
      const exit = await runCchc(['run', '--config', config]);
      expect(exit.code, exit.stderr).toBe(0);
      return exit.lines.find((l) => l.msg === 'publish done')!.workbooks;
    };
    const first = await run();
    const before = current(data);
    expect(before.reports.map((r) => r.period_key)).toEqual(expect.arrayContaining(['2022-Q4', '2023-Q1', '2023-Q2', '2023-Q3', '2023-Q4']));
    expect(first).toEqual({ written: before.reports.length, carried_over: 0 });

    // Nothing new: every workbook is the last release's file, linked.
    expect(await run()).toEqual({ written: 0, carried_over: before.reports.length });
    const same = current(data);
    expect(same.reports.map((r) => r.fingerprint)).toEqual(before.reports.map((r) => r.fingerprint));
    for (const r of same.reports) expect(statSync(join(same.dir, r.file)).ino).toBe(statSync(join(before.dir, r.file)).ino);

    // A dossier received in February 2023 is corrected to August, in a file the sample does not
    // write: 2023-Q1 and 2023-Q3 change, 2023-Q2 and 2023-Q4 do not. A workbook deleted from the
    // last release by hand is written again.
    const [moved] = await queryFile<{ id: string }>(
      join(data, 'warehouse.duckdb'),
      `SELECT min(dossier_id) AS id FROM intermediate.int_dossiers_classified
       WHERE received_date BETWEEN DATE '2023-02-06' AND DATE '2023-02-10' AND resolved_date < DATE '2023-02-25'`,
    );
    await correctedToAugust(data, inboxes.motcua!, moved!.id);
    const file = (period: string) => join(same.dir, same.reports.find((r) => r.period_key === period)!.file);
    rmSync(file('2022-Q4'));
    // One saved again by hand, another period's bytes in its file: it is written again too.
    writeFileSync(file('2023-Q4'), readFileSync(file('2023-Q2')));
    await run();
    const after = current(data);
    expect(after.reports.map((r) => r.period_key)).toEqual(same.reports.map((r) => r.period_key));
    const carried = after.reports.filter((r) => r.carried_over);
    const written = after.reports.filter((r) => !r.carried_over);
    expect(written.map((r) => r.period_key)).toEqual(expect.arrayContaining(['2023-Q1', '2023-Q3', '2022-Q4', '2023-Q4']));
    expect(carried.map((r) => r.period_key)).toContain('2023-Q2');
    for (const r of carried) expect(statSync(join(after.dir, r.file)).ino).toBe(statSync(join(same.dir, r.file)).ino);
    for (const r of written) expect(statSync(join(after.dir, r.file)).nlink).toBe(1);
    for (const r of after.reports) expect(createHash('sha256').update(readFileSync(join(after.dir, r.file))).digest('hex'), r.period_key).toBe(r.sha256);
    for (const r of after.reports) {
      const out = join(dir, `report-${r.period_key}.xlsx`);
      expect((await runCchc(['report', '--config', config, '--period', r.period_key, '--out', out])).code).toBe(0);
      expect(await cells(join(after.dir, r.file)), r.period_key).toEqual(await cells(out));
    }
  }, 400_000);
});
