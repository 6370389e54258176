import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { ZipFile } from 'yazl';
import { INCOMING } from '../../connectors/formats/incoming.js';
import { readXlsx } from '../../connectors/formats/xlsx.js';
import { motcua } from '../../connectors/motcua.js';
import { memoryWarehouse, tempDir, writeText } from '../helpers.js';

const dossiers = motcua.tables.dossiers!;
const HEADER = ['Mã hồ sơ', 'Mã TTHC', 'Đơn vị tiếp nhận', 'Kênh nộp', 'Ngày tiếp nhận', 'Ngày hẹn trả', 'Trạng thái', 'Ngày cập nhật'];
const UNITS = ['UBND phường Đức Ninh Đông', 'Phòng Lao động – Thương binh và Xã hội', 'UBND xã Nghĩa Ninh'];
const NAME = 'Thủ tục đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc có yếu tố nước ngoài';

/** 12,000 dossier rows written by exceljs's streaming writer: enough to cross hundreds of zip chunks. */
async function manyRows(path: string, o: { useSharedStrings: boolean; due: string; name: (i: number) => string }): Promise<string> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: o.useSharedStrings });
  const sheet = workbook.addWorksheet('Hồ sơ');
  sheet.addRow([...HEADER, 'Tên thủ tục']).commit();
  for (let i = 0; i < 12000; i++) {
    sheet.addRow([`HS-${i}`, '1.000001', UNITS[i % 3], 'Trực tuyến', '02/01/2024', o.due, 'Đã tiếp nhận', '02/01/2024', o.name(i)]).commit();
  }
  sheet.commit();
  await workbook.commit();
  return path;
}

describe('reading an XLSX export', () => {
  const dir = tempDir();
  const db = memoryWarehouse();

  it('keeps Vietnamese text intact where the zip stream splits a character between two chunks', async () => {
    // 12,000 rows of multi-byte text cross hundreds of 16 KiB chunk boundaries of the inflated sheet.
    const path = await manyRows(join(dir, 'many.xlsx'), { useSharedStrings: false, due: '05/01/2024', name: () => NAME });

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

  it('reads shared strings stored after the sheet in the zip, with rich text, references, escapes and phonetic readings', async () => {
    const path = await writeWorkbook(join(dir, 'strings.xlsx'), {
      rows: [row(2, ['t="s"', '0'], ['t="str"', '1.000001'], ['t="s"', '1'], ['t="s"', '2'], ['', '45293'], ['', '45296'], ['t="s"', '3'], ['t="s"', '4'])],
      sharedStrings: [
        '<si><t>HS &lt;1&gt; &amp; &quot;2&quot; &apos;3&apos;</t></si>',
        '<si><r><rPr><b/><sz val="11"/></rPr><t xml:space="preserve">Phòng Lao động </t></r><r><t>– Thương binh &amp; Xã hội</t></r></si>',
        '<si><t>Tr&#7921;c tuy&#x1EBF;n</t></si>',
        '<si><t>Đã tiếp nhận</t><rPh sb="0" eb="2"><t>ダ</t></rPh><phoneticPr fontId="1"/></si>',
        '<si><t>dòng 1_x000D_\ndòng 2</t></si>',
      ],
    });

    await readXlsx(db(), path, 'strings.xlsx', dossiers, {});
    expect(await db().one(`SELECT dossier_id, procedure_code, receiving_unit, channel, status, updated_at FROM ${INCOMING}`)).toEqual({
      dossier_id: `HS <1> & "2" '3'`,
      procedure_code: '1.000001',
      receiving_unit: 'Phòng Lao động – Thương binh & Xã hội',
      channel: 'Trực tuyến',
      status: 'Đã tiếp nhận',
      updated_at: 'dòng 1\r\ndòng 2',
    });
  });

  it('reads inline strings, booleans, errors and the last results of formulas', async () => {
    const path = await writeWorkbook(join(dir, 'kinds.xlsx'), {
      rows: [
        row(
          2,
          ['t="inlineStr"', '<is><r><t xml:space="preserve">HS </t></r><r><rPr><i/></rPr><t>&amp; 1</t></r></is>'],
          ['t="str"', '<f>"1."&amp;"000001"</f><v>1.000001</v>'],
          ['t="inlineStr"', '<is><t>UBND xã Nghĩa Ninh</t></is>'],
          ['t="b"', '<v>1</v>'],
          ['t="e"', '<v>#N/A</v>'],
          ['', '<f>1+1</f><v>2</v>'],
          ['t="b"', '<f>TRUE()</f><v>0</v>'],
          ['t="str"', '<f t="shared" ref="H2:H3" si="0"/><v></v>'],
        ),
      ],
    });

    await readXlsx(db(), path, 'kinds.xlsx', dossiers, {});
    expect(await db().one(`SELECT dossier_id, procedure_code, receiving_unit, channel, received_at, due_at, status, updated_at FROM ${INCOMING}`)).toEqual({
      dossier_id: 'HS & 1',
      procedure_code: '1.000001',
      receiving_unit: 'UBND xã Nghĩa Ninh',
      channel: '1',
      received_at: '#N/A',
      due_at: '2',
      status: '0',
      updated_at: '',
    });
  });

  it('turns numbers into timestamps by their style: built-in and custom date formats, not formats with quoted letters', async () => {
    const styles = `<styleSheet ${NS}>
      <numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy hh:mm"/><numFmt numFmtId="165" formatCode="#,##0&quot; đồng/ngày&quot;"/></numFmts>
      <cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164"/><xf numFmtId="165"><alignment horizontal="right"/></xf><xf numFmtId="4"/></cellXfs>
    </styleSheet>`;
    const cells = (...values: [string, string][]) => row(2, ['t="str"', 'A'], ['t="str"', '1.000001'], ['t="str"', UNITS[0]!], ...values);
    const path = await writeWorkbook(join(dir, 'styles.xlsx'), {
      rows: [cells(['s="3"', '2'], ['s="1"', '45293'], ['s="2"', '45296.354166666664'], ['s="4"', '10.25'], ['s="2"', '45293.5'])],
      styles,
    });

    await readXlsx(db(), path, 'styles.xlsx', dossiers, {});
    expect(await db().one(`SELECT channel, received_at, due_at, status, updated_at FROM ${INCOMING}`)).toEqual({
      channel: '2',
      received_at: '2024-01-02 00:00:00',
      due_at: '2024-01-05 08:30:00',
      status: '10,25',
      updated_at: '2024-01-02 12:00:00',
    });

    // The 1904 date system of old Mac workbooks counts 1462 days fewer for the same date.
    const path1904 = await writeWorkbook(join(dir, 'dates-1904.xlsx'), { rows: [cells(['', '2'], ['s="1"', '43831'])], styles, workbookPr: '<workbookPr date1904="1"/>' });
    await readXlsx(db(), path1904, 'dates-1904.xlsx', dossiers, {});
    expect(await db().one(`SELECT received_at FROM ${INCOMING}`)).toEqual({ received_at: '2024-01-02 00:00:00' });
  });

  it('keeps values in their columns when cells are missing, empty or unlettered, and numbers rows as the sheet does', async () => {
    const path = await writeWorkbook(join(dir, 'sparse.xlsx'), {
      rows: [
        // B missing, C self-closing, then cells without a reference: each follows the one before.
        '<row r="3"><c r="A3" t="str"><v>A</v></c><c r="C3"/><c t="str"><v>Trực tuyến</v></c><c t="str"><v>02/01/2024</v></c></row>',
        // A row without a number follows the one before (4); an empty row is skipped.
        '<row><c r="A4" t="str"><v>B</v></c><c r="B4" t="str"><v>1.000001</v></c><c r="H4" t="str"><v>05/01/2024</v></c></row>',
        '<row r="6" spans="1:9"/>',
        '<row r="7"><c r="A7" t="str"><v>C</v></c><c r="K7" t="str"><v>beyond the header</v></c></row>',
      ],
    });

    const result = await readXlsx(db(), path, 'sparse.xlsx', dossiers, {});
    expect(await db().all(`SELECT _row, dossier_id, procedure_code, receiving_unit, channel, received_at, updated_at FROM ${INCOMING} ORDER BY _row`)).toEqual([
      { _row: 3, dossier_id: 'A', procedure_code: null, receiving_unit: null, channel: 'Trực tuyến', received_at: '02/01/2024', updated_at: null },
      { _row: 4, dossier_id: 'B', procedure_code: '1.000001', receiving_unit: null, channel: null, received_at: null, updated_at: '05/01/2024' },
    ]);
    expect(result.rowsRead).toBe(2);
    expect(result.rejects).toEqual([
      { row: 7, reason: 'too many columns: values beyond the 9 headed columns', text: 'C\t\t\t\t\t\t\t\t\t\tbeyond the header' },
    ]);
  });

  it('leaves out the notes and signatures under a printed form, and says so; records after a blank row stay records', async () => {
    const form = async (name: string, after: (string | null)[][]) => {
      const workbook = new ExcelJS.Workbook();
      const sheet = workbook.addWorksheet('Sổ');
      sheet.addRow(['SỔ THEO DÕI HỒ SƠ']);
      sheet.addRow([]);
      sheet.addRow(HEADER);
      sheet.addRow(HEADER.map((_, i) => `(${i + 1})`));
      sheet.addRow(['HS-1', '1.000001', UNITS[0], 'Trực tuyến', '02/01/2024', '05/01/2024', 'Đã tiếp nhận', '02/01/2024']);
      sheet.addRow([]);
      for (const cells of after) sheet.addRow(cells);
      await workbook.xlsx.writeFile(join(dir, name));
      return readXlsx(db(), join(dir, name), name, dossiers, {});
    };
    const signed = await form('signed.xlsx', [[null, 'Người lập sổ', null, null, null, 'Trưởng Bộ phận'], [null, '(Ký, ghi rõ họ tên)']]);
    expect(signed).toMatchObject({ rowsRead: 1, rejects: [], leftOut: [{ row: 7, text: 'Người lập sổ | Trưởng Bộ phận' }, { row: 8, text: '(Ký, ghi rõ họ tên)' }] });
    // A blank row between groups of records: what follows fills the required columns, so it is
    // no footer, and the line held back before it is read too (and left for the checks to judge).
    const grouped = await form('grouped.xlsx', [[null, 'Nhóm 2'], ['HS-2', '1.000001', UNITS[1]!, 'Trực tiếp', '03/01/2024', '08/01/2024', 'Đã tiếp nhận', '03/01/2024']]);
    expect(grouped).toMatchObject({ rowsRead: 3, leftOut: [] });
    expect(await db().all(`SELECT _row, dossier_id, procedure_code FROM ${INCOMING} ORDER BY _row`)).toEqual([
      { _row: 5, dossier_id: 'HS-1', procedure_code: '1.000001' },
      { _row: 7, dossier_id: null, procedure_code: 'Nhóm 2' },
      { _row: 8, dossier_id: 'HS-2', procedure_code: '1.000001' },
    ]);
  });

  it('reads the first sheet in the workbook, wherever its part lies in the zip', async () => {
    const path = join(dir, 'two-sheets.xlsx');
    const data = (id: string) => `<worksheet ${NS}><sheetData>${headerRow()}${row(2, ['t="str"', id])}</sheetData></worksheet>`;
    await zipParts(path, [
      ['xl/worksheets/sheet1.xml', data('from the second sheet')],
      ['xl/worksheets/sheet2.xml', data('from the first sheet')],
      ['xl/workbook.xml', `<workbook ${NS}><sheets><sheet name="Hồ sơ" sheetId="2" r:id="rId2"/><sheet name="Khác" sheetId="1" r:id="rId1"/></sheets></workbook>`],
      ['xl/_rels/workbook.xml.rels', relationships(['rId1', 'worksheet', 'worksheets/sheet1.xml'], ['rId2', 'worksheet', '/xl/worksheets/sheet2.xml'])],
    ]);

    await readXlsx(db(), path, 'two-sheets.xlsx', dossiers, {});
    expect(await db().all(`SELECT dossier_id FROM ${INCOMING}`)).toEqual([{ dossier_id: 'from the first sheet' }]);
  });

  it('reads shared strings that exceljs writes after the sheet, across many chunks of the zip stream', async () => {
    const path = await manyRows(join(dir, 'shared.xlsx'), { useSharedStrings: true, due: '', name: (i) => `${NAME} ${i}` });

    expect((await readXlsx(db(), path, 'shared.xlsx', dossiers, {})).rowsRead).toBe(12000);
    expect(await db().one(`SELECT count(DISTINCT dossier_id) AS ids, count(DISTINCT procedure_name) AS names, max(_row) AS last FROM ${INCOMING}`)).toEqual({
      ids: 12000,
      names: 12000,
      last: 12001,
    });
    expect(await db().one(`SELECT dossier_id, receiving_unit, procedure_name FROM ${INCOMING} WHERE _row = 12001`)).toEqual({
      dossier_id: 'HS-11999',
      receiving_unit: UNITS[11999 % 3],
      procedure_name: `${NAME} 11999`,
    });
  });

  it('names the file when the zip holds no workbook or its sheet is cut short, and says when the first sheet is empty', async () => {
    const noWorkbook = await zipParts(join(dir, 'no-workbook.xlsx'), [['docProps/app.xml', '<Properties/>']]);
    await expect(readXlsx(db(), noWorkbook, 'no-workbook.xlsx', dossiers, {})).rejects.toThrow(
      'no-workbook.xlsx: cannot be read as an XLSX workbook: it has no xl/workbook.xml',
    );
    const cut = await writeWorkbook(join(dir, 'cut.xlsx'), { rows: ['<row r="2"><c r="A2" t="str"><v>HS-1'] });
    await expect(readXlsx(db(), cut, 'cut.xlsx', dossiers, {})).rejects.toThrow('cut.xlsx: cannot be read as an XLSX workbook: its XML is cut short: no </v>');
    const empty = await writeWorkbook(join(dir, 'empty.xlsx'), { rows: [], header: false });
    await expect(readXlsx(db(), empty, 'empty.xlsx', dossiers, {})).rejects.toThrow('empty.xlsx: the first sheet is empty');
  });
});

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const COLUMNS = 'ABCDEFGHIJK';

/** A row of cells from column A on, each given as its attributes and either its value (put in <v>) or its XML. */
function row(number: number, ...cells: [attributes: string, value: string][]): string {
  const xml = cells.map(([attributes, value], i) => {
    const content = value.startsWith('<') ? value : `<v>${value}</v>`;
    return `<c r="${COLUMNS[i]}${number}" ${attributes}>${content}</c>`;
  });
  return `<row r="${number}">${xml.join('')}</row>`;
}

/** The header of the exports (with the procedure name in column I), as inline strings. */
function headerRow(): string {
  return row(1, ...[...HEADER, 'Tên thủ tục'].map((h): [string, string] => ['t="inlineStr"', `<is><t>${h}</t></is>`]));
}

function relationships(...targets: [id: string, type: string, target: string][]): string {
  const each = targets.map(([id, type, target]) => `<Relationship Id="${id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/${type}" Target="${target}"/>`);
  return `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${each.join('')}</Relationships>`;
}

/** A workbook of one sheet (the header, then these rows), its parts put in the zip with the sheet first, as some writers do. */
async function writeWorkbook(
  path: string,
  parts: { rows: string[]; header?: boolean; sharedStrings?: string[]; styles?: string; workbookPr?: string },
): Promise<string> {
  const sheet = `<worksheet ${NS}><sheetData>${parts.header === false ? '' : headerRow()}${parts.rows.join('')}</sheetData></worksheet>`;
  const strings = parts.sharedStrings && `<sst ${NS} count="${parts.sharedStrings.length}">${parts.sharedStrings.join('')}</sst>`;
  return zipParts(path, [
    ['xl/worksheets/sheet1.xml', sheet],
    ['xl/workbook.xml', `<workbook ${NS}>${parts.workbookPr ?? ''}<sheets><sheet name="Hồ sơ" sheetId="1" r:id="rId1"/></sheets></workbook>`],
    ['xl/_rels/workbook.xml.rels', relationships(['rId1', 'worksheet', 'worksheets/sheet1.xml'], ['rId2', 'sharedStrings', 'sharedStrings.xml'], ['rId3', 'styles', 'styles.xml'])],
    ...(strings ? [['xl/sharedStrings.xml', strings] as [string, string]] : []),
    ...(parts.styles ? [['xl/styles.xml', parts.styles] as [string, string]] : []),
  ]);
}

/** A zip of these parts, in this order. */
async function zipParts(path: string, parts: [name: string, xml: string][]): Promise<string> {
  const zip = new ZipFile();
  for (const [name, xml] of parts) zip.addBuffer(Buffer.from(xml), name);
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(path));
  return path;
}
