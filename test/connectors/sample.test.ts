// The sample generator: seeded, so every machine gets the same exports.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { generateSample, sampleLayout } from '../../connectors/sample/index.js';
import { tempDir } from '../helpers.js';

/** Every file of a sample folder by relative path: a hash of its bytes, or of its cells for XLSX (zip entries carry the time of writing). */
async function fingerprint(dir: string): Promise<Map<string, string>> {
  const prints = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    let content: string | Buffer = readFileSync(path);
    if (entry.name.endsWith('.xlsx')) {
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.readFile(path);
      content = JSON.stringify(workbook.worksheets.map((sheet) => sheet.getSheetValues()));
    }
    prints.set(relative(dir, path), createHash('sha256').update(content).digest('hex'));
  }
  return prints;
}

describe('the sample exports', () => {
  const sampleDir = inject('sampleDir');
  let files: string[];
  beforeAll(() => {
    files = readdirSync(sampleLayout(sampleDir).motcuaInbox).sort();
  });

  it('are the same, file for file, when generated again with the same seed', async () => {
    const again = join(tempDir(), 'sample');
    await generateSample(again);
    expect(await fingerprint(again)).toEqual(await fingerprint(sampleDir));
  });

  it('differ with another seed', async () => {
    const other = join(tempDir(), 'sample');
    await generateSample(other, 7);
    const [a, b] = [await fingerprint(other), await fingerprint(sampleDir)];
    expect(a.get('motcua/inbox/ho-so-2023-W10.csv')).not.toBe(b.get('motcua/inbox/ho-so-2023-W10.csv'));
  });

  it('hold a weekly export from October 2022 to March 2024 in CSV and XLSX, and the procedure catalogue', () => {
    expect(files[0]).toBe('danh-muc-tthc.csv');
    expect(files.filter((f) => f.startsWith('ho-so-'))).toHaveLength(79);
    expect(files[1]).toBe('ho-so-2022-W39.csv');
    expect(files.at(-1)).toBe('ho-so-2024-W13.csv');
    expect(files.filter((f) => f.endsWith('.xlsx')).length).toBeGreaterThanOrEqual(8);
  });

  it('vary the CSV dialect: with and without BOM, "," and ";", headers in NFC, NFD, without diacritics and as sync names', () => {
    const heads = files
      .filter((f) => f.endsWith('.csv') && f.startsWith('ho-so-'))
      .map((f) => readFileSync(join(sampleLayout(sampleDir).motcuaInbox, f)).subarray(0, 400).toString('utf8').split('\r\n')[0]!);
    expect(heads.some((h) => h.startsWith('\uFEFF'))).toBe(true);
    expect(heads.some((h) => !h.startsWith('\uFEFF'))).toBe(true);
    expect(heads.some((h) => h.includes(';Mã TTHC;') || h.includes(';Mã TTHC'.normalize('NFD')))).toBe(true);
    expect(heads.some((h) => h.includes('Ngày tiếp nhận'.normalize('NFD')))).toBe(true);
    expect(heads.some((h) => h.includes('NGAY TIEP NHAN'))).toBe(true);
    expect(heads.some((h) => h.includes('NgayTiepNhan'))).toBe(true);
  });

  it('carry the same dossiers as JSON pages of the sync API, with their nested lists', () => {
    const dir = sampleLayout(sampleDir).motcuaApi;
    const page = JSON.parse(readFileSync(join(dir, 'page-00001.json'), 'utf8'));
    expect(page).toMatchObject({ page: 1, page_size: 500 });
    expect(page.items).toHaveLength(500);
    expect(Object.keys(page.items[0])).toEqual(expect.arrayContaining(['MaHoSo', 'NgayTiepNhan', 'TrangThaiHoSo', 'TaiLieuNop', 'DanhSachLePhi', 'QuaTrinhXuLy']));
    expect(readdirSync(dir).length).toBe(Math.ceil(page.total / 500));
  });
});
