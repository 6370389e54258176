import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv, readCsvFiles, sniffCsv } from '../../connectors/formats/csv.js';
import { INCOMING } from '../../connectors/formats/incoming.js';
import { motcua } from '../../connectors/motcua.js';
import { Warehouse } from '../../core/warehouse.js';
import { memoryWarehouse, tempDir, writeText } from '../helpers.js';

const dossiers = motcua.tables.dossiers!;
const HEADER = 'Mã hồ sơ;Mã TTHC;Đơn vị tiếp nhận;Kênh nộp;Ngày tiếp nhận;Ngày hẹn trả;Trạng thái;Ngày cập nhật';

describe('reading a CSV export', () => {
  const dir = tempDir();
  const db = memoryWarehouse();

  it('finds the delimiter and the header of a file with a BOM', async () => {
    const path = writeText(join(dir, 'bom.csv'), `\uFEFF${HEADER}\nA;1.1;Phòng Tư pháp;2;02/01/2024;05/01/2024;2;02/01/2024\n`);
    expect(await sniffCsv(path, 'bom.csv')).toEqual({
      delimiter: ';',
      headers: HEADER.split(';'),
      encoding: 'utf-8',
      rows: [HEADER.split(';'), ['A', '1.1', 'Phòng Tư pháp', '2', '02/01/2024', '05/01/2024', '2', '02/01/2024']],
    });
  });

  it('keeps quoted delimiters and line breaks inside a field', async () => {
    const path = writeText(join(dir, 'quoted.csv'), `${HEADER}\n"A;1";1.1;"Phòng\nTư pháp";2;02/01/2024;05/01/2024;2;02/01/2024\n`);
    const result = await readCsv(db(), path, 'quoted.csv', dossiers, {});
    expect(result.rowsRead).toBe(1);
    expect(await db().all(`SELECT dossier_id, receiving_unit FROM ${INCOMING}`)).toEqual([{ dossier_id: 'A;1', receiving_unit: 'Phòng\nTư pháp' }]);
  });

  it('returns the records it cannot split as rejects and numbers rows as a spreadsheet shows them', async () => {
    const rows = ['A;1.1;U;2;02/01/2024;05/01/2024;2;02/01/2024', 'B;1.1;U;2;02/01/2024', 'C;1.1;U;2;02/01/2024;05/01/2024;2;02/01/2024', 'D;1.1;U;2;02/01/2024;05/01/2024;2;02/01/2024;extra', 'E;1.1;U;2;02/01/2024;05/01/2024;2;02/01/2024'];
    const path = writeText(join(dir, 'ragged.csv'), `${HEADER}\n${rows.join('\n')}\n`);
    const result = await readCsv(db(), path, 'ragged.csv', dossiers, {});
    expect(result.rowsRead).toBe(3);
    expect(result.rejects.map((r) => [r.row, r.reason.split(':')[0]])).toEqual([[3, 'missing columns'], [5, 'too many columns']]);
    expect(await db().all(`SELECT dossier_id, _row FROM ${INCOMING} ORDER BY _row`)).toEqual([
      { dossier_id: 'A', _row: 2 },
      { dossier_id: 'C', _row: 4 },
      { dossier_id: 'E', _row: 6 },
    ]);
  });

  it('numbers rows by the line they start on, after blank lines and fields that hold line breaks', async () => {
    const row = (id: string, unit = 'U') => `${id};1.1;${unit};2;02/01/2024;05/01/2024;2;02/01/2024`;
    const lines = [HEADER, row('A'), '', row('B', '"Phòng\nTư\npháp"'), 'C;1.1;U;2', row('D'), '', '', row('E')];
    const path = writeText(join(dir, 'gaps.csv'), `${lines.join('\r\n')}\r\n`);
    const result = await readCsv(db(), path, 'gaps.csv', dossiers, {});
    expect(result.rejects.map((r) => r.row)).toEqual([7]);
    expect(await db().all(`SELECT dossier_id, _row FROM ${INCOMING} ORDER BY _row`)).toEqual([
      { dossier_id: 'A', _row: 2 },
      { dossier_id: 'B', _row: 4 },
      { dossier_id: 'D', _row: 8 },
      { dossier_id: 'E', _row: 11 },
    ]);
  });

  it('finds the encoding, the delimiter and the header of a UTF-16 file, Excel\'s "Unicode text"', async () => {
    const path = join(dir, 'utf16.csv');
    writeFileSync(path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(HEADER.replaceAll(';', '\t'), 'utf16le')]));
    expect(await sniffCsv(path, 'utf16.csv')).toEqual({ delimiter: '\t', headers: HEADER.split(';'), encoding: 'utf-16le', rows: [HEADER.split(';')] });
  });

  it('refuses an empty file', async () => {
    const path = writeText(join(dir, 'empty.csv'), '');
    await expect(sniffCsv(path, 'empty.csv')).rejects.toThrow('empty.csv: the file is empty');
  });

  it('reads several files in one scan and numbers each one\'s rows and rejects from its own first line', async () => {
    const row = (id: string) => `${id};1.1;U;2;02/01/2024;05/01/2024;2;02/01/2024`;
    const files = [
      writeText(join(dir, 'w1.csv'), `${HEADER}\n${row('A1')}\n${row('A2')}\n`),
      writeText(join(dir, 'w2.csv'), [HEADER, row('B1'), '', 'B2;1.1;U', row('B3'), ''].join('\n')),
      writeText(join(dir, 'w3.csv'), `${HEADER.replaceAll(';', ',')}\n${row('C1').replaceAll(';', ',')}\n`),
      writeText(join(dir, 'w4.csv'), `${HEADER}\n${row('D1')}\n${row('D2')}\n${row('D3')}\n`),
    ];
    await db().run(`CREATE OR REPLACE TABLE raw_dossiers (_load_id BIGINT, _file VARCHAR, _row BIGINT, ${dossiers.columns.map((c) => `"${c.name}" VARCHAR`).join(', ')})`);
    const loads = files.map((path, i) => ({ path, displayName: `w${i + 1}.csv`, loadId: 10 + i }));
    const results = await readCsvFiles(db(), 'raw_dossiers', loads, dossiers, {}, { tempDir: tempDir() });
    expect(results.map((r) => [r.rowsRead, r.rejects.map((x) => x.row)])).toEqual([[2, []], [2, [4]], [1, []], [3, []]]);
    expect(await db().all('SELECT _load_id, _file, _row, dossier_id FROM raw_dossiers ORDER BY _load_id, _row')).toEqual([
      { _load_id: 10, _file: 'w1.csv', _row: 2, dossier_id: 'A1' },
      { _load_id: 10, _file: 'w1.csv', _row: 3, dossier_id: 'A2' },
      { _load_id: 11, _file: 'w2.csv', _row: 2, dossier_id: 'B1' },
      { _load_id: 11, _file: 'w2.csv', _row: 5, dossier_id: 'B3' },
      { _load_id: 12, _file: 'w3.csv', _row: 2, dossier_id: 'C1' },
      { _load_id: 13, _file: 'w4.csv', _row: 2, dossier_id: 'D1' },
      { _load_id: 13, _file: 'w4.csv', _row: 3, dossier_id: 'D2' },
      { _load_id: 13, _file: 'w4.csv', _row: 4, dossier_id: 'D3' },
    ]);
  });

  it('numbers the rows of a large multi-file scan on eight threads by their lines, whatever order the threads read them in', async () => {
    // `_row` breaks ties between versions of a dossier: it must be the line, not the order in which
    // DuckDB's threads happened to read. One file is larger than DuckDB's CSV buffer (32 MB), so it
    // is split between threads too.
    const big = tempDir();
    const sizes = [300_000, 650_000, 10_000, 200_000];
    const files = sizes.map((lines, f) => {
      const path = join(big, `f${f}.csv`);
      const body = Array.from({ length: lines }, (_, i) => `F${f}-${i + 2};1.1;Phòng Tư pháp;2;02/01/2024;05/01/2024;2;02/01/2024 08:00:00`);
      writeFileSync(path, `${HEADER}\n${body.join('\n')}\n`);
      return { path, displayName: `f${f}.csv`, loadId: 100 + f };
    });
    const wide = await Warehouse.open(':memory:', { threads: 8, memory_limit: '4GB' });
    try {
      await wide.run(`CREATE TABLE raw_dossiers (_load_id BIGINT, _file VARCHAR, _row BIGINT, ${dossiers.columns.map((c) => `"${c.name}" VARCHAR`).join(', ')})`);
      const results = await readCsvFiles(wide, 'raw_dossiers', files, dossiers, {}, { tempDir: tempDir() });
      expect(results.map((r) => r.rowsRead)).toEqual(sizes);
      const [check] = await wide.all<{ rows: number; off: number }>(
        `SELECT count(*) AS rows, count(*) FILTER (WHERE _row <> split_part(dossier_id, '-', 2)::BIGINT OR _file <> 'f' || substr(split_part(dossier_id, '-', 1), 2) || '.csv') AS off FROM raw_dossiers`,
      );
      expect(check).toEqual({ rows: sizes.reduce((a, b) => a + b, 0), off: 0 });
    } finally {
      wide.close();
    }
  });
});
