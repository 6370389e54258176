// The sample generator: seeded, so every machine gets the same exports; Đồng Hới's reference plan
// through the reform of 1 July 2025, and the steady plan for any register.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadRegister, type Register } from '../../config/register.js';
import { ConfigError } from '../../core/errors.js';
import { generateSample, sampleLayout, type SampleOptions } from '../../sample/index.js';
import { startPortalSimulator } from '../../sample/server.js';
import { FIXTURES, sampleConfig, tempDir } from '../helpers.js';

type Item = Record<string, unknown>;

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

/** The sync feed of the dossiers as its page files hold it, oldest version first. */
function dossierFeed(sampleDir: string): Item[] {
  const dir = sampleLayout(sampleDir).motcuaApi;
  return readdirSync(dir)
    .sort()
    .flatMap((name) => (JSON.parse(readFileSync(join(dir, name), 'utf8')) as { items: Item[] }).items);
}

/** The last version of each dossier updated by `until` (yyyyMMddHHmmss). */
function latest(feed: Item[], until = '99999999999999'): Map<string, Item> {
  const dossiers = new Map<string, Item>();
  for (const item of feed) if ((item.NgayCapNhat as string) <= until) dossiers.set(item.MaHoSo as string, item);
  return dossiers;
}

/** A header in any of the exports' spellings (NFC, NFD, without diacritics, sync name) as one key: "Đơn vị tiếp nhận" → "donvitiepnhan". */
const headerKey = (header: string) => header.normalize('NFD').replace(/\p{M}/gu, '').replace(/[đĐ]/g, 'd').replace(/\s/g, '').toLowerCase();

/** The rows of the weekly CSV exports, keyed by headerKey. */
function csvExportRows(sampleDir: string, from = '', to = '~'): Record<string, string>[] {
  const inbox = sampleLayout(sampleDir).motcuaInbox;
  return readdirSync(inbox)
    .filter((name) => /^ho-so-.*\.csv$/.test(name) && name >= `ho-so-${from}` && name <= `ho-so-${to}`)
    .flatMap((name) => {
      const text = readFileSync(join(inbox, name), 'utf8').replace(/^\uFEFF/, '');
      const header = text.slice(0, text.indexOf('\r\n'));
      const delimiter = header.split(';').length > header.split(',').length ? ';' : ',';
      return (parse(text, { columns: (h: string[]) => h.map(headerKey), delimiter }) as Record<string, string>[]);
    });
}

/** "20/06/2025 16:22:00" or "20/06/2025" as 2025-06-20. */
const isoOf = (text: string) => `${text.slice(6, 10)}-${text.slice(3, 5)}-${text.slice(0, 2)}`;
/** yyyyMMddHHmmss as 2025-06-20. */
const isoOfSync = (stamp: string) => `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}`;

function validOn(register: Register, code: string, day: string): boolean {
  const unit = register.units.find((u) => u.code === code);
  return unit !== undefined && (unit.validFrom ?? '') <= day && day <= (unit.validTo ?? '9999');
}

describe('the reference sample', () => {
  const sampleDir = inject('sampleDir');
  const config = sampleConfig(tempDir(), {});
  const options: SampleOptions = { seed: config.sample?.seed, register: config.register, plan: 'reference' };
  const register = config.register;
  let files: string[];
  let feed: Item[];
  beforeAll(() => {
    files = readdirSync(sampleLayout(sampleDir).motcuaInbox).sort();
    feed = dossierFeed(sampleDir);
  });

  it('is the same, file for file, when generated again with the same seed', async () => {
    const again = join(tempDir(), 'sample');
    await generateSample(again, options);
    expect(await fingerprint(again)).toEqual(await fingerprint(sampleDir));
  });

  it('holds a weekly export from October 2022 to the end of November 2026 in CSV and XLSX, and the procedure catalogue', () => {
    expect(files[0]).toBe('danh-muc-tthc.csv');
    expect(files.filter((f) => f.startsWith('ho-so-'))).toHaveLength(219);
    expect(files[1]).toBe('ho-so-2022-W39.csv');
    expect(files.at(-1)).toBe('ho-so-2026-W49.csv');
    expect(files.filter((f) => f.endsWith('.xlsx')).length).toBeGreaterThanOrEqual(25);
  });

  it('varies the CSV dialect: with and without BOM, "," and ";", headers in NFC, NFD, without diacritics and as sync names', () => {
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

  it('carries the same dossiers as JSON pages of the sync API, with their nested lists', () => {
    const dir = sampleLayout(sampleDir).motcuaApi;
    const page = JSON.parse(readFileSync(join(dir, 'page-00001.json'), 'utf8'));
    expect(page).toMatchObject({ page: 1, page_size: 500 });
    expect(page.items).toHaveLength(500);
    expect(Object.keys(page.items[0])).toEqual(expect.arrayContaining(['MaHoSo', 'NgayTiepNhan', 'TrangThaiHoSo', 'TaiLieuNop', 'DanhSachLePhi', 'QuaTrinhXuLy']));
    expect(readdirSync(dir).length).toBe(Math.ceil(page.total / 500));
  });

  it('holds the report cohorts as they stood on 31 March 2024: 14,859 received in 2023 and 96 carried into 2024, 2,313 received in Q1 2024, 410 open within the deadline and 11 overdue', () => {
    const asOfReport = [...latest(feed, '20240331235959').values()].filter((d) => d.NgayTiepNhan);
    const openOn = (d: Item, day: string) => !(d.NgayKetThucXuLy && (d.NgayKetThucXuLy as string) <= day) && !([3, 7, 8].includes(d.TrangThaiHoSo as number) && (d.NgayCapNhat as string) <= day);
    const received = (prefix: string) => asOfReport.filter((d) => (d.NgayTiepNhan as string).startsWith(prefix));
    expect(received('2023')).toHaveLength(14_859);
    expect(asOfReport.filter((d) => (d.NgayTiepNhan as string) < '2024' && openOn(d, '20231231235959'))).toHaveLength(96);
    expect(['202401', '202402', '202403'].reduce((n, month) => n + received(month).length, 0)).toBe(2_313);
    const open = asOfReport.filter((d) => openOn(d, '20240331235959'));
    expect(open.filter((d) => (d.NgayHenTra as string) >= '20240331')).toHaveLength(410);
    expect(open.filter((d) => (d.NgayHenTra as string) < '20240331')).toHaveLength(11);
  });

  it('reaches the end of November 2026 in the sync API and the portal exports, at about 350 to 450 dossiers a month', () => {
    expect(feed.reduce((last, item) => ((item.NgayCapNhat as string) > last ? (item.NgayCapNhat as string) : last), '')).toMatch(/^202611/);
    const portal = readdirSync(sampleLayout(sampleDir).dvcInbox);
    for (const prefix of ['thanh-toan', 'danh-gia', 'tai-khoan']) expect(portal).toContain(`${prefix}-2026-11.csv`);
    const perMonth = new Map<string, number>();
    for (const d of latest(feed).values()) {
      const month = (d.NgayTiepNhan as string | null)?.slice(0, 6);
      if (month && month >= '202404') perMonth.set(month, (perMonth.get(month) ?? 0) + 1);
    }
    expect(perMonth.size).toBe(32);
    const counts = [...perMonth.values()];
    expect(counts.reduce((a, b) => a + b, 0) / counts.length).toBeGreaterThan(350);
    expect(counts.reduce((a, b) => a + b, 0) / counts.length).toBeLessThan(450);
  });

  it('receives every dossier at a unit valid on its reception day: from 1 July 2025 the wards, the departments and the province centre', () => {
    const after = new Set<string>();
    for (const d of latest(feed).values()) {
      if (!d.NgayTiepNhan) continue;
      const day = isoOfSync(d.NgayTiepNhan as string);
      expect(validOn(register, d.DonViTiepNhan as string, day), `${d.MaHoSo} received by ${d.DonViTiepNhan} on ${day}`).toBe(true);
      if (day >= '2025-07-01') after.add(d.DonViTiepNhan as string);
    }
    expect(after).toEqual(new Set(register.units.filter((u) => u.validFrom === '2025-07-01' && u.parent !== null).map((u) => u.code)));
  });

  it('keeps the old receiving unit on dossiers received before 1 July 2025 and finished after it, and names the unit that took its work over as the handling unit', () => {
    const successors = new Map(register.units.map((u) => [u.code, u.successors.map((s) => s.unit)]));
    const desks = new Set(register.units.filter((u) => u.type === 'desk').map((u) => u.code));
    const crossing = [...latest(feed).values()].filter((d) => d.NgayTiepNhan && (d.NgayTiepNhan as string) < '20250701' && (d.NgayCapNhat as string) >= '20250701');
    const finished = crossing.filter((d) => [3, 7, 8, 9, 10].includes(d.TrangThaiHoSo as number));
    expect(finished.length).toBeGreaterThanOrEqual(36);
    for (const d of crossing) {
      expect(validOn(register, d.DonViTiepNhan as string, '2025-06-30')).toBe(true);
      expect(validOn(register, d.DonViXuLy as string, isoOfSync(d.NgayCapNhat as string))).toBe(true);
      // At the desk, the agency of the procedure handled it: its successor, not the desk's, takes over.
      if (!desks.has(d.DonViTiepNhan as string)) expect(successors.get(d.DonViTiepNhan as string)).toContain(d.DonViXuLy);
    }
    expect(crossing.find((d) => d.DonViTiepNhan === 'DH.NAMLY' && isoOfSync(d.NgayTiepNhan as string) === '2025-06-20' && isoOfSync(d.NgayKetThucXuLy as string) === '2025-07-10'))
      .toMatchObject({ DonViXuLy: 'QT.DONGHOI' });
  });

  it('names in the CSV exports the unit that received each dossier, valid on its reception day, by name, alias or code, and the handling unit of the day', () => {
    const spellings = new Map<string, string[]>();
    for (const u of register.units) for (const label of [u.code, u.name, ...u.aliases]) spellings.set(label, [...(spellings.get(label) ?? []), u.code]);
    const rows = csvExportRows(sampleDir, '2025-W20').filter((r) => r.ngaytiepnhan);
    for (const row of rows) {
      const day = isoOf(row.ngaytiepnhan!);
      expect(spellings.get(row.donvitiepnhan!)?.some((code) => validOn(register, code, day)), `${row.mahoso} received by "${row.donvitiepnhan}" on ${day}`).toBe(true);
    }
    const labels = new Set(rows.filter((r) => isoOf(r.ngaytiepnhan!) >= '2025-07-01').map((r) => r.donvitiepnhan));
    expect([...labels]).toEqual(expect.arrayContaining(['UBND phường Đồng Thuận', 'Sở Nội vụ', 'QT.DONGHOI']));
    const namLy = rows.filter((r) => r.donvitiepnhan!.includes('Nam Lý') || r.donvitiepnhan === 'DH.NAMLY');
    expect(namLy.some((r) => (r.ngaycoketqua ?? r.ngayketthucxuly)?.startsWith('10/07/2025') && r.donvixuly === 'UBND phường Đồng Hới')).toBe(true);
  });

  it('is served by the API simulator to its last month', async () => {
    const portal = await startPortalSimulator({ sampleDir, token: 'sample-token' });
    try {
      const res = await fetch(`${portal.url}/api/v1/motcua/dossiers?updated_since=20261101000000&page_size=1000`, { headers: { authorization: 'Bearer sample-token' } });
      const body = (await res.json()) as { total: number; items: Item[] };
      expect(body.total).toBeGreaterThan(100);
      expect(body.items.every((i) => (i.NgayCapNhat as string) >= '20261101000000' && (i.NgayCapNhat as string) < '20261201000000')).toBe(true);
      expect(body.items.some((i) => (i.DonViTiepNhan as string).startsWith('QT.'))).toBe(true);
    } finally {
      await portal.close();
    }
  });

  it('is refused for a register without Đồng Hới’s units, with the steady plan as the way out', async () => {
    const other = loadRegister(join(FIXTURES, 'sample', 'province.units.yaml'));
    const error = await generateSample(join(tempDir(), 'sample'), { register: other, plan: 'reference' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/level "city": not one of the register's levels[\s\S]*DH\.TP: not a unit of the register/);
    expect((error as ConfigError).action).toMatch(/sample\.plan to steady/);
  });
});

describe('the steady sample', () => {
  const register = loadRegister(join(FIXTURES, 'sample', 'province.units.yaml'));
  let sampleDir: string;
  let feed: Item[];
  beforeAll(async () => {
    sampleDir = join(tempDir(), 'sample');
    await generateSample(sampleDir, { register, plan: 'steady' });
    feed = dossierFeed(sampleDir);
  });

  it('writes dossiers only for the units of its register that receive them, tens a month each, from the day they start to November 2026', () => {
    const received = new Map<string, Map<string, number>>();
    for (const d of latest(feed).values()) {
      if (!d.NgayTiepNhan) continue;
      const day = isoOfSync(d.NgayTiepNhan as string);
      expect(validOn(register, d.DonViTiepNhan as string, day), `${d.MaHoSo} received by ${d.DonViTiepNhan} on ${day}`).toBe(true);
      const months = received.get(d.DonViTiepNhan as string) ?? new Map<string, number>();
      months.set(day.slice(0, 7), (months.get(day.slice(0, 7)) ?? 0) + 1);
      received.set(d.DonViTiepNhan as string, months);
    }
    expect([...received.keys()].sort()).toEqual(['TN.ANBINH', 'TN.ANTHINH', 'TN.BINHMINH', 'TN.HOALAC', 'TN.STP', 'TN.SXD']);
    expect([...received.get('TN.HOALAC')!.keys()].sort()).toEqual([...Array(15)].map((_, i) => new Date(Date.UTC(2025, 8 + i, 1)).toISOString().slice(0, 7)));
    expect([...received.get('TN.ANBINH')!.keys()].sort()[0]).toBe('2026-04');
    for (const [unit, months] of received) {
      const full = [...months].filter(([month]) => month > '2025-09');
      expect(full.every(([, n]) => n >= 10 && n <= 70), `${unit}: ${JSON.stringify(full)}`).toBe(true);
    }
  });

  it('hands the dossiers of the communes that merged over to the new commune, which their later rows name as handling unit', () => {
    const handedOver = [...latest(feed).values()].filter((d) => ['TN.ANTHINH', 'TN.BINHMINH'].includes(d.DonViTiepNhan as string) && (d.NgayCapNhat as string) >= '20260401');
    expect(handedOver.length).toBeGreaterThan(0);
    for (const d of handedOver) expect(d.DonViXuLy).toBe('TN.ANBINH');
  });

  it('lists the catalogue at the register’s levels and writes no budget workbook', () => {
    const catalogue = parse(readFileSync(join(sampleLayout(sampleDir).motcuaInbox, 'danh-muc-tthc.csv')), { columns: true }) as Record<string, string>[];
    expect(new Set(catalogue.map((p) => p['Cấp thực hiện']))).toEqual(new Set(['Cấp tỉnh', 'Cấp xã, phường']));
    expect(readdirSync(sampleLayout(sampleDir).ngansachInbox)).toEqual([]);
  });

  it('differs with another seed', async () => {
    const other = join(tempDir(), 'sample');
    await generateSample(other, { register, plan: 'steady', seed: 7 });
    const page = 'motcua/api/dossiers/page-00001.json';
    const [a, b] = [await fingerprint(other), await fingerprint(sampleDir)];
    expect(a.get(page)).toBeDefined();
    expect(a.get(page)).not.toBe(b.get(page));
  });
});
