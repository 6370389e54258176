// Exports in each encoding Vietnamese systems write, read as the UTF-8 export of the same rows.
// The fixtures, in test/fixtures/bad/encodings/, are written by make.ts there, from other code
// tables than the reader's.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCsv, readCsvFiles, sniffCsv } from '../../connectors/formats/csv.js';
import { convertToUtf8, detectEncoding, vietnameseShare, type Encoding } from '../../connectors/formats/encoding.js';
import { INCOMING, type Reject } from '../../connectors/formats/incoming.js';
import { motcua } from '../../connectors/motcua.js';
import { SourceFileError } from '../../core/errors.js';
import type { Warehouse } from '../../core/warehouse.js';
import { runJob } from '../../pipelines/run.js';
import { capturedLog, FIXTURES, inboxWith, memoryWarehouse, queryFile, sampleConfig, tempDir } from '../helpers.js';

const ENCODINGS = join(FIXTURES, 'bad/encodings');
const dossiers = motcua.tables.dossiers!;
const UTF8_TEXT = readFileSync(join(ENCODINGS, 'ho-so-utf8.csv'), 'utf8');

type Row = Record<string, unknown>;

type Loaded = { rows: Row[]; rejects: Reject[] };

/** A fixture read by the load stage's reader into a fresh raw table: its rows in line order, and its rejects. */
async function load(db: Warehouse, name: string, temp = tempDir()): Promise<Loaded> {
  await db.run(`CREATE OR REPLACE TABLE raw_dossiers (_load_id BIGINT, _file VARCHAR, _row BIGINT, ${dossiers.columns.map((c) => `"${c.name}" VARCHAR`).join(', ')})`);
  const [result] = await readCsvFiles(db, 'raw_dossiers', [{ path: join(ENCODINGS, name), displayName: name, loadId: 1 }], dossiers, {}, { tempDir: temp });
  return { rows: await db.all('SELECT * EXCLUDE (_load_id, _file) FROM raw_dossiers ORDER BY _row'), rejects: result!.rejects };
}

/** The line and text of each reject (the UTF-16LE file has TABs between its fields, and DuckDB gives the blank line before). */
function rejected({ rejects }: Loaded): [number, string][] {
  return rejects.map((r) => [r.row, r.text.trim().replaceAll('\t', ',')]);
}

/** A file converted with `chunkBytes` read at a time, as text. */
async function converted(name: string, encoding: Encoding, chunkBytes?: number): Promise<string> {
  const target = join(tempDir(), 'converted.csv');
  await convertToUtf8(join(ENCODINGS, name), target, encoding, chunkBytes);
  return readFileSync(target, 'utf8');
}

/** The error a promise rejects with, as an operator reads it. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SourceFileError);
  return (error as SourceFileError).describe();
}

describe('reading exports in any encoding', () => {
  const db = memoryWarehouse();
  let utf8: Loaded;

  beforeAll(async () => {
    utf8 = await load(db(), 'ho-so-utf8.csv');
  });

  it('reads the UTF-8 file as its five rows and a reject, numbered by their lines', () => {
    expect(utf8.rows.map((r) => [r._row, r.dossier_id, r.procedure_name])).toEqual([
      [2, 'A', 'Đăng ký kết hôn có yếu tố nước ngoài'],
      [3, 'B', 'Chứng thực chữ ký, bản sao'],
      [4, 'D', 'ĐĂNG KÝ KẾT HÔN'],
      [7, 'F', 'Đăng ký khai sinh'],
      [8, 'G', 'Đăng ký khai sinh'],
    ]);
    expect(rejected(utf8)).toEqual([[6, 'E,1.000002,Chứng thực chữ ký']]);
  });

  it.each([
    ['UTF-8 with a byte-order mark', 'ho-so-utf8-bom.csv', 'utf-8'],
    ['UTF-16LE with TABs ("Unicode text")', 'ho-so-utf16le.csv', 'utf-16le'],
    ['UTF-16BE', 'ho-so-utf16be.csv', 'utf-16be'],
    ['TCVN3', 'ho-so-tcvn3.csv', 'tcvn3'],
    ['VNI-Windows', 'ho-so-vni.csv', 'vni'],
    ['Windows-1258', 'ho-so-cp1258.csv', 'windows-1258'],
    ['UTF-8 in NFD', 'ho-so-nfd.csv', 'utf-8'],
  ])('detects %s and loads the same rows and NFC text as the UTF-8 file', async (_, name, encoding) => {
    expect((await sniffCsv(join(ENCODINGS, name), name)).encoding).toBe(encoding);
    const { rows, rejects } = await load(db(), name);
    expect(rows).toEqual(utf8.rows);
    expect(rejected({ rows, rejects })).toEqual(rejected(utf8));
    // Compared in SQL too: the NFC spelling finds the row, whichever way the file wrote it.
    expect(await db().all(`SELECT dossier_id FROM raw_dossiers WHERE handling_unit = 'UBND thành phố Đồng Hới'`)).toEqual([{ dossier_id: 'G' }]);
  });

  it('reads a legacy export with the one-file reader of the tools too', async () => {
    await readCsv(db(), join(ENCODINGS, 'ho-so-vni.csv'), 'ho-so-vni.csv', dossiers, {});
    expect(await db().all(`SELECT _row, dossier_id, procedure_name, handling_unit FROM ${INCOMING} WHERE dossier_id = 'G'`)).toEqual([
      { _row: 8, dossier_id: 'G', procedure_name: 'Đăng ký khai sinh', handling_unit: 'UBND thành phố Đồng Hới' },
    ]);
  });

  it('refuses a compressed file named .csv with a message naming the file, the encodings tried and what to do', async () => {
    expect(await refusal(sniffCsv(join(ENCODINGS, 'ho-so-gzip.csv'), 'ho-so-gzip.csv'))).toMatchInlineSnapshot(`
      "ho-so-gzip.csv: the file is not text in any encoding tried (UTF-8, UTF-16 with a byte-order mark, Windows-1258, VNI-Windows, TCVN3): it holds NUL bytes, as binary files and UTF-16 without a byte-order mark do
        → check that it is the CSV export and not a workbook, an archive or another file renamed .csv; if it is, save it as "CSV UTF-8" and drop it in the inbox again"
    `);
  });

  it('refuses bytes that read as Vietnamese in none of the legacy encodings', () => {
    // Binary data without a NUL byte: the legacy tables all read something, none of it Vietnamese.
    let seed = 1;
    const bytes = Uint8Array.from({ length: 4096 }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 255) + 1);
    expect(() => detectEncoding(bytes, 'noise.csv', true)).toThrowErrorMatchingInlineSnapshot(
      `[SourceFileError: noise.csv: the file is not text in any encoding tried (UTF-8, UTF-16 with a byte-order mark, Windows-1258, VNI-Windows, TCVN3): read as TCVN3, the closest, only 17 % of what is beyond ASCII makes Vietnamese syllables]`,
    );
  });

  it('does not take a TCVN3 file for VNI or a VNI file for TCVN3, nor confuse either with Windows-1258', async () => {
    const files = { tcvn3: 'ho-so-tcvn3.csv', vni: 'ho-so-vni.csv', 'windows-1258': 'ho-so-cp1258.csv' } as const;
    for (const [encoding, name] of Object.entries(files)) {
      expect(detectEncoding(readFileSync(join(ENCODINGS, name)), name, true).encoding).toBe(encoding);
      for (const other of Object.keys(files).filter((e) => e !== encoding)) {
        // Read in another table, the file is symbols and impossible syllables.
        expect(vietnameseShare(await converted(name, other as Encoding))).toBeLessThan(0.3);
      }
    }
  });

  it('converts the same when a chunk ends inside a character or between a VNI letter and its marks', async () => {
    const cases: [string, Encoding][] = [['ho-so-utf16le.csv', 'utf-16le'], ['ho-so-utf16be.csv', 'utf-16be'], ['ho-so-vni.csv', 'vni'], ['ho-so-cp1258.csv', 'windows-1258'], ['ho-so-tcvn3.csv', 'tcvn3'], ['ho-so-nfd.csv', 'utf-8']];
    for (const [name, encoding] of cases) {
      for (const chunkBytes of [1, 2, 3, 7]) {
        // The UTF-16LE file is "Unicode text": TABs between fields and CRLF after lines.
        expect((await converted(name, encoding, chunkBytes)).replaceAll('\r\n', '\n').replaceAll('\t', ','), `${name} by ${chunkBytes}`).toBe(UTF8_TEXT);
      }
    }
  });

  it('deletes its UTF-8 copies after a load, and after a load that fails', async () => {
    const temp = join(tempDir(), 'tmp');
    await load(db(), 'ho-so-tcvn3.csv', temp);
    expect(readdirSync(temp)).toEqual([]);

    const files = [
      { path: join(ENCODINGS, 'ho-so-vni.csv'), displayName: 'ho-so-vni.csv', loadId: 2 },
      { path: join(FIXTURES, 'motcua/ho-so-missing-column.csv'), displayName: 'ho-so-missing-column.csv', loadId: 3 },
    ];
    await expect(readCsvFiles(db(), 'raw_dossiers', files, dossiers, {}, { tempDir: temp })).rejects.toThrow('ho-so-missing-column.csv: missing required column');
    expect(readdirSync(temp)).toEqual([]);
  });

  it('loads every encoding through the load stage into the same raw rows as the UTF-8 export, and fails the compressed one alone', async () => {
    const dir = tempDir();
    const exports = readdirSync(ENCODINGS).filter((name) => name.endsWith('.csv'));
    const inbox = inboxWith(dir, ['motcua/danh-muc-tthc.csv', ...exports.map((name) => `bad/encodings/${name}`)]);
    // Each export has a row cut short on purpose: far more than a night's share of quarantine.
    const config = sampleConfig(join(dir, 'data'), { motcua: inbox }, { CCHC__LIMITS__MAX_QUARANTINE_RATE: '1' });
    await runJob(config, capturedLog().log, { only: 'extract' });
    const summary = await runJob(config, capturedLog().log, { only: 'load' });

    expect(summary.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^ho-so-gzip\.csv: the file is not text in any encoding tried/)]);
    const raw = await queryFile<Row & { _file: string }>(config.paths.warehouse, 'SELECT * EXCLUDE (_load_id) FROM raw.motcua__dossiers ORDER BY _file, _row');
    const rowsOf = (file: string) => raw.filter((r) => r._file === file).map(({ _file, ...row }) => row);
    expect(rowsOf('ho-so-utf8.csv')).toHaveLength(5);
    const quarantined = await queryFile<{ file_name: string; row_number: number }>(config.paths.warehouse, 'SELECT file_name, row_number FROM ops.quarantine');
    expect(quarantined.map((q) => q.row_number)).toEqual(exports.filter((n) => n !== 'ho-so-gzip.csv').map(() => 6));
    for (const name of exports.filter((n) => n !== 'ho-so-gzip.csv')) expect(rowsOf(name), name).toEqual(rowsOf('ho-so-utf8.csv'));
    expect(existsSync(config.paths.tempDir) ? readdirSync(config.paths.tempDir).filter((n) => n.endsWith('.utf8.csv')) : []).toEqual([]);
  });
});
