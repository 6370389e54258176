import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { INCOMING } from '../../connectors/formats/incoming.js';
import { readXlsx } from '../../connectors/formats/xlsx.js';
import { motcua } from '../../connectors/motcua.js';
import { memoryWarehouse, tempDir, writeText } from '../helpers.js';

const dossiers = motcua.tables.dossiers!;
const HEADER = ['Mã hồ sơ', 'Mã TTHC', 'Đơn vị tiếp nhận', 'Kênh nộp', 'Ngày tiếp nhận', 'Ngày hẹn trả', 'Trạng thái', 'Ngày cập nhật'];
const UNITS = ['UBND phường Đức Ninh Đông', 'Phòng Lao động – Thương binh và Xã hội', 'UBND xã Nghĩa Ninh'];
const NAME = 'Thủ tục đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc có yếu tố nước ngoài';

describe('reading an XLSX export', () => {
  const dir = tempDir();
  const db = memoryWarehouse();

  it('keeps Vietnamese text intact where the zip stream splits a character between two chunks', async () => {
    // 12,000 rows of multi-byte text cross hundreds of 16 KiB chunk boundaries of the inflated sheet.
    const path = join(dir, 'many.xlsx');
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: false });
    const sheet = workbook.addWorksheet('Hồ sơ');
    sheet.addRow([...HEADER, 'Tên thủ tục']).commit();
    for (let i = 0; i < 12000; i++) {
      sheet.addRow([`HS-${i}`, '1.000001', UNITS[i % 3], 'Trực tuyến', '02/01/2024', '05/01/2024', 'Đã tiếp nhận', '02/01/2024', NAME]).commit();
    }
    sheet.commit();
    await workbook.commit();

    const result = await readXlsx(db(), path, 'many.xlsx', dossiers, {});
    expect(result.rowsRead).toBe(12000);
    const units = await db().all<{ receiving_unit: string; n: number }>(`SELECT receiving_unit, count(*) AS n FROM ${INCOMING} GROUP BY 1 ORDER BY 1`);
    expect(units).toEqual([...UNITS].sort().map((u) => ({ receiving_unit: u, n: 4000 })));
    expect(await db().all(`SELECT DISTINCT procedure_name FROM ${INCOMING}`)).toEqual([{ procedure_name: NAME }]);
  });

  it('turns date cells into timestamps and numbers into the text an export would write', async () => {
    const path = join(dir, 'dates.xlsx');
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Hồ sơ');
    sheet.addRow([...HEADER, 'Phí, lệ phí']);
    const row = sheet.addRow(['A', '1.000001', UNITS[0], 2, new Date(Date.UTC(2024, 0, 2, 8, 30)), new Date(Date.UTC(2024, 0, 5)), 10, '05/01/2024', 1234.5]);
    row.getCell(5).numFmt = 'dd/mm/yyyy hh:mm';
    row.getCell(6).numFmt = 'dd/mm/yyyy';
    await workbook.xlsx.writeFile(path);

    await readXlsx(db(), path, 'dates.xlsx', dossiers, {});
    expect(await db().one(`SELECT _row, channel, received_at, due_at, status, fee_vnd FROM ${INCOMING}`)).toEqual({
      _row: 2,
      channel: '2',
      received_at: '2024-01-02 08:30:00',
      due_at: '2024-01-05 00:00:00',
      status: '10',
      fee_vnd: '1234,5',
    });
  });

  it('keeps every value in its column when cells or whole columns are empty', async () => {
    const path = join(dir, 'gaps.xlsx');
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Hồ sơ');
    // Column A empty, and an untitled empty column between two headed ones.
    sheet.addRow([null, 'Mã hồ sơ', 'Mã TTHC', null, 'Đơn vị tiếp nhận', 'Kênh nộp', 'Ngày tiếp nhận', 'Ngày hẹn trả', 'Trạng thái', 'Ngày cập nhật']);
    sheet.addRow([null, 'A', '1.000001', null, UNITS[0], null, '02/01/2024', '05/01/2024', 'Đã tiếp nhận', '02/01/2024']);
    await workbook.xlsx.writeFile(path);

    const result = await readXlsx(db(), path, 'gaps.xlsx', dossiers, {});
    expect(result.rejects).toEqual([]);
    expect(await db().one(`SELECT dossier_id, procedure_code, receiving_unit, channel, received_at, status FROM ${INCOMING}`)).toEqual({
      dossier_id: 'A',
      procedure_code: '1.000001',
      receiving_unit: UNITS[0],
      channel: null,
      received_at: '02/01/2024',
      status: 'Đã tiếp nhận',
    });
  });

  it('names the file when it is not a workbook', async () => {
    const path = writeText(join(dir, 'fake.xlsx'), 'Mã hồ sơ,Mã TTHC\n');
    await expect(readXlsx(db(), path, 'fake.xlsx', dossiers, {})).rejects.toThrow(/^fake\.xlsx: cannot be read as an XLSX workbook/);
  });
});
