// The second bundled config, config/province-sample.yaml: a deployment that is not Đồng Hới,
// with its own unit register (levels tinh and xa, two communes merged on 1 January 2026), its
// own targets and no reference report, run as an operator would, over a sample of its own.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { literal } from '../../core/warehouse.js';
import { query, tempDir } from '../helpers.js';
import { runCchc, type Exit } from '../processes.js';

const CONFIG = fileURLToPath(new URL('../../config/province-sample.yaml', import.meta.url));

describe('a deployment of another place, from its own register', () => {
  const dir = tempDir('cchc-province-');
  const sample = join(dir, 'sample');
  // The bundled config, its folders moved into the test's own.
  const env = {
    CCHC__WAREHOUSE__DATA_DIR: join(dir, 'data'),
    CCHC__SAMPLE__OUT: sample,
    CCHC__SOURCES__MOTCUA__INBOX: join(sample, 'motcua', 'inbox'),
    CCHC__SOURCES__DVC__INBOX: join(sample, 'dvc', 'inbox'),
  };
  const release = join(dir, 'data', 'publish', 'current');
  const mart = (name: string) => `read_parquet(${literal(join(release, 'marts', `${name}.parquet`))})`;
  let run: Exit;

  beforeAll(async () => {
    run = await runCchc(['run', '--config', CONFIG], env);
  }, 600_000);

  it('runs the job over its own exports and prints its own name, with no reference report to match', () => {
    expect(run.stderr.split('\n').filter((l) => l.includes('"level":50'))).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Tỉnh Quảng Trị \(mẫu\)\s+2026-Q3\n/m);
    expect(run.stdout).not.toContain('Figures of the reference report');
  });

  it("publishes none of Đồng Hới's reference data: no PAR-index results or published points, nothing to reconcile", async () => {
    expect(await query(`SELECT unit_code FROM ${mart('fct_par_index')}`)).toEqual([]);
    expect(await query(`SELECT unit_code FROM ${mart('rpt_reconciliation')}`)).toEqual([]);
    expect(await query(`SELECT criterion_code FROM ${mart('fct_par_criteria')} WHERE published_points IS NOT NULL`)).toEqual([]);
  });

  it('rolls its units up to its own levels, with its labels, and lists both sides of its merger in the years it straddles', async () => {
    expect(await query(`SELECT unit_code, unit_name FROM ${mart('dim_unit')} WHERE is_rollup ORDER BY unit_code`)).toEqual([
      { unit_code: 'QTM', unit_name: 'Tỉnh Quảng Trị (mẫu)' },
      { unit_code: 'QTM/tinh', unit_name: 'Cấp tỉnh' },
      { unit_code: 'QTM/xa', unit_name: 'Cấp xã' },
    ]);
    const units = (period: string) =>
      query<{ unit_code: string }>(`SELECT unit_code FROM ${mart('fct_tthc_resolution')} WHERE period_key = '${period}' AND level = 'xa' AND scope = 'unit' ORDER BY 1`)
        .then((rows) => rows.map((r) => r.unit_code));
    expect(await units('2025-Q4')).toEqual(['QTM.BINHMINH', 'QTM.HOABINH', 'QTM.PHULOCCU', 'QTM.TANTHANH', 'QTM.TRUNGSON']);
    expect(await units('2026-Q3')).toEqual(['QTM.HOABINH', 'QTM.PHULOC', 'QTM.TANTHANH', 'QTM.TRUNGSON']);
    // Restated under today's units, the merged communes are the new ward's, and nothing is lost.
    const [restated] = await query<{ lost: number; merged: number }>(
      `SELECT
         (SELECT sum(abs(f.received_total - r.received_total)) FROM ${mart('fct_tthc_resolution')} f
          JOIN ${mart('fct_tthc_resolution_restated')} r USING (period_key, unit_code) WHERE f.scope = 'total') AS lost,
         (SELECT count(*) FROM ${mart('fct_tthc_resolution_restated')} WHERE unit_code IN ('QTM.BINHMINH', 'QTM.PHULOCCU')) AS merged`,
    );
    expect(restated).toEqual({ lost: 0, merged: 0 });
  });

  it('compares its indicators with its own targets', async () => {
    const targets = await query(
      `SELECT DISTINCT left(period_key, 4) AS year, target_online_payment_rate, target_result_digitization_rate
       FROM ${mart('rpt_quarterly_indicators')} WHERE scope = 'total' AND target_online_payment_rate IS NOT NULL`,
    );
    expect(targets).toEqual([{ year: '2026', target_online_payment_rate: 0.6, target_result_digitization_rate: 0.9 }]);
  });

  it('writes a report workbook whose Biểu 06 carries its name and its levels', async () => {
    const out = join(dir, 'bao-cao.xlsx');
    const written = await runCchc(['report', '--config', CONFIG, '--period', '2026-Q3', '--out', out], env);
    expect(written.stderr).toBe('');
    expect(written.code).toBe(0);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    const ws = workbook.getWorksheet('Biểu 06')!;
    expect(ws.getCell(1, 1).value).toBe('Đơn vị báo cáo: UBND tỉnh Quảng Trị');
    expect(ws.getCell(2, 1).value).toBe('Đơn vị nhận báo cáo: Văn phòng Chính phủ');
    expect(ws.getCell(3, 1).value).toBe('TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH – TỈNH QUẢNG TRỊ (MẪU)');
    const labels = [];
    for (let n = 9; n <= ws.rowCount; n++) labels.push([ws.getRow(n).getCell(1).value, ws.getRow(n).getCell(2).value]);
    expect(labels.filter(([stt]) => typeof stt === 'string' && /^[IVX]+$/.test(stt))).toEqual([['I', 'Cấp tỉnh'], ['II', 'Cấp xã']]);
    expect(labels.map(([, label]) => label)).toContain('UBND phường Phú Lộc');
    expect(labels.map(([, label]) => label)).not.toContain('UBND xã Bình Minh');
  });
});
