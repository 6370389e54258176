// The sync API's page files, the portal's as well: the dossier versions of the weekly exports
// as the API returns them, for server.ts to serve. Not one of the export's formats: the API has
// its own field names and encodings, and one feed for the whole span rather than a file a week.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { unitAt, type Dossier } from './dossiers.js';
import { facts, PROVINCE_SUFFIX, weeklyVersions, type Span, type Version } from './exports.js';
import { MINUTES_PER_DAY, type Stamp } from './timeline.js';

export const API_PAGE_SIZE = 500;

/** The dossier versions as the sync API returns them: pages of the change feed, oldest first. */
export async function writeApiPages(dir: string, dossiers: Dossier[], span: Span): Promise<{ pages: number; items: number }> {
  const items = [...weeklyVersions(dossiers, span).values()]
    .flat()
    .filter((v) => !v.copyOf)
    .sort((a, b) => a.at - b.at || a.dossier.id.localeCompare(b.dossier.id))
    .map(syncPayload);
  return writeJsonPages(dir, items);
}

/** Items as page files of API_PAGE_SIZE: { page, page_size, total, items }. */
export async function writeJsonPages(dir: string, items: unknown[]): Promise<{ pages: number; items: number }> {
  await mkdir(dir, { recursive: true });
  const pages = Math.ceil(items.length / API_PAGE_SIZE);
  for (let page = 1; page <= pages; page++) {
    const body = { page, page_size: API_PAGE_SIZE, total: items.length, items: items.slice((page - 1) * API_PAGE_SIZE, page * API_PAGE_SIZE) };
    await writeFile(join(dir, `page-${String(page).padStart(5, '0')}.json`), JSON.stringify(body));
  }
  return { pages, items: items.length };
}

export function syncTime(s: Stamp | undefined): string | null {
  if (s === undefined) return null;
  return new Date(s * 60_000).toISOString().slice(0, 19).replace(/[-:T]/g, '');
}

function syncPayload(v: Version) {
  const d = v.dossier;
  const x = facts(v);
  const components = 1 + (d.id.charCodeAt(d.id.length - 1) % 3);
  return {
    MaHoSo: d.id,
    MaTTHC: d.procedure.code + PROVINCE_SUFFIX,
    TenTTHC: d.procedure.name,
    MaLinhVuc: d.procedure.fieldCode,
    TenLinhVuc: d.procedure.fieldName,
    KenhThucHien: d.channel,
    ChuHoSo: d.applicant.name,
    SoGiayToChuHoSo: d.applicant.idNumber,
    SoDienThoai: d.applicant.phone,
    Email: d.applicant.email || null,
    DiaChi: d.applicant.address,
    DonViTiepNhan: d.unit.code,
    DonViXuLy: unitAt(d.handlers, v.at).code,
    NgayNopHoSo: syncTime(d.submittedAt),
    NgayTiepNhan: syncTime(x.received),
    NgayHenTra: x.due === undefined ? null : syncTime(x.due * MINUTES_PER_DAY + 17 * 60),
    NgayKetThucXuLy: syncTime(x.finished),
    NgayTra: syncTime(x.returned),
    NgayTuChoi: syncTime(x.refused),
    TrangThaiHoSo: v.status,
    HoSoCoThanhPhanSoHoa: x.received === undefined ? null : d.hasDigitized,
    DuocThanhToanTrucTuyen: d.channel === 2 && d.paidOnline,
    NgayCapNhat: syncTime(v.at),
    TaiLieuNop: Array.from({ length: components }, (_, i) => ({
      MaThanhPhanHoSo: `TP${i + 1}`,
      DuocSoHoa: d.hasDigitized === true || (d.hasDigitized === false && i > 0),
      DuocTaiSuDung: false,
      DuocLayTuKhoDMQG: d.hasDigitized === null,
    })),
    DanhSachLePhi: d.feeVnd > 0 ? [{ MaPhiLePhi: 'LP01', TenPhiLePhi: 'Lệ phí', Gia: d.feeVnd, HinhThucThu: d.paidOnline ? 'Trực tuyến' : 'Trực tiếp' }] : [],
    DanhSachGiayToKetQua: x.finished === undefined ? [] : [{ TenGiayTo: 'Kết quả giải quyết', CoTepDienTu: x.resultDigitized }],
    DanhSachHoSoBoSung:
      d.supplement && d.supplement.requestedAt <= v.at
        ? [{ NgayBoSung: syncTime(d.supplement.requestedAt), NgayHenTraTruoc: syncTime(d.dueBefore! * MINUTES_PER_DAY + 17 * 60), NgayHenTraMoi: syncTime(d.supplement.dueAfter * MINUTES_PER_DAY + 17 * 60) }]
        : [],
    // Registered and received by the receiving unit; every later step by whoever handled it then.
    QuaTrinhXuLy: d.checkpoints
      .filter((c) => c.at <= v.at)
      .map((c) => ({ ThoiDiemXuLy: syncTime(c.at), PhongBanXuLy: (c.status <= 2 ? d.unit : unitAt(d.handlers, c.at)).code, TrangThai: c.status })),
  };
}
