// The sample of the public-service portal: fee payments of the sample dossiers, satisfaction
// ratings, citizen feedback (PAKN) and account registrations, as monthly CSV exports and as
// pages of its sync API, in the volumes of the plan (the reference plan's reproduce P1–P2, F1
// and F2). Each event names a unit valid on its date.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { syncTime, writeJsonPages } from './api-pages.js';
import { addWorkingDays, day, workingDaysBetween } from './calendar.js';
import type { Dossier } from './dossiers.js';
import { csvField, formatStamp, groupThousands } from './exports.js';
import { makeApplicant } from './people.js';
import type { PortalPlan, SamplePlan } from './plan.js';
import type { Random } from './random.js';
import { dayOf, endOf, inDays, MINUTES_PER_DAY, type Stamp } from './timeline.js';
import type { SampleUnits, Unit } from './units.js';

type Fields = Record<string, string | number | boolean | null>;
/** A record of the portal, as the versions it went through. */
type PortalRecord = { id: string; versions: { at: Stamp; fields: Fields }[] };

export type Portal = { payments: PortalRecord[]; ratings: PortalRecord[]; feedback: PortalRecord[]; accounts: PortalRecord[] };

export function simulatePortal(random: Random, dossiers: Dossier[], units: SampleUnits, plan: SamplePlan): Portal {
  const end = endOf(day(plan.end));
  return {
    payments: payments(random, dossiers, end),
    ratings: ratings(random, dossiers, units, plan.portal, end),
    feedback: feedback(random, units, plan.portal.feedback, end),
    accounts: accounts(random, units, plan.portal.accounts),
  };
}

function payments(random: Random, dossiers: Dossier[], end: Stamp): PortalRecord[] {
  const records: PortalRecord[] = [];
  for (const d of dossiers) {
    if (d.feeVnd === 0 || d.receivedAt === undefined) continue;
    const base = { MaHoSo: d.id, SoTien: d.feeVnd, LoaiPhi: random.chance(0.7) ? 'Lệ phí' : 'Phí', HinhThucThu: 'Thu trước' };
    const at = (stamp: Stamp, status: string, method: string, paidAt?: Stamp) => ({
      at: stamp,
      fields: { ...base, HinhThucThanhToan: method, TrangThai: status, NgayThuPhi: paidAt ?? null },
    });
    const versions: PortalRecord['versions'] = [];
    if (d.channel === 2) {
      if (d.paidOnline) {
        const paid = Math.min(d.receivedAt + random.int(10, 600), end);
        versions.push(at(d.receivedAt, 'Chờ thanh toán', 'Trực tuyến'), at(paid, 'Đã thanh toán', 'Trực tuyến', paid));
      } else {
        // Online dossiers not paid online are paid at the desk when the result is collected.
        const counter = random.chance(0.7) ? 'Tiền mặt' : 'Chuyển khoản';
        versions.push(at(d.receivedAt, 'Chờ thanh toán', 'Trực tuyến'));
        const settled = d.returnedAt ?? d.finishedAt;
        if (settled !== undefined) versions.push(at(settled, 'Đã thanh toán', counter, settled));
        else if (d.stoppedAt !== undefined) versions.push(at(d.stoppedAt, 'Đã hủy', 'Trực tuyến'));
      }
    } else {
      versions.push(at(d.receivedAt, 'Đã thanh toán', random.chance(0.8) ? 'Tiền mặt' : 'Chuyển khoản', d.receivedAt));
    }
    records.push({ id: `GD${String(records.length + 1).padStart(7, '0')}`, versions });
  }
  return records;
}

function ratings(random: Random, dossiers: Dossier[], units: SampleUnits, plan: PortalPlan, end: Stamp): PortalRecord[] {
  const fixed = plan.fixedRatings;
  const [fixedFrom, fixedTo] = fixed ? [day(fixed.within.from), day(fixed.within.to)] : [Infinity, -Infinity];
  const returned = dossiers.filter((d) => d.returnedAt !== undefined);
  const inFixed = returned.filter((d) => inDays(d.returnedAt!, fixedFrom, fixedTo));
  const chosen = [
    ...(fixed ? random.shuffle([...inFixed]).slice(0, fixed.count - fixed.deskForms) : []),
    ...returned.filter((d) => !inDays(d.returnedAt!, fixedFrom, fixedTo) && random.chance(plan.ratedShare)),
  ];
  const draw = () => random.next();
  const forms: { at: Stamp; unit: Unit; dossier?: string; channel: string }[] = chosen.map((d) => {
    const at = Math.min(d.returnedAt! + random.int(1, 45), end);
    // The unit that received it, or the one doing its work on the day of the form.
    return { at, unit: units.currentOn(d.unit, dayOf(at), draw), dossier: d.id, channel: random.pick(['Trực tuyến', 'Kiosk đánh giá', 'Tin nhắn SMS']) };
  });
  if (fixed) {
    const deskDays = workingDaysBetween(fixedFrom, fixedTo);
    for (let i = 0; i < fixed.deskForms; i++) {
      const on = random.pick(deskDays);
      forms.push({ at: on * MINUTES_PER_DAY + random.int(450, 990), unit: random.pick(units.receiversOn(on)), channel: 'Phiếu khảo sát giấy' });
    }
  }
  forms.sort((a, b) => a.at - b.at);
  return forms.map((f, i) => ({
    id: `DG${String(i + 1).padStart(7, '0')}`,
    versions: [{
      at: f.at,
      fields: {
        MaHoSo: f.dossier ?? null,
        DonVi: i % 3 === 0 ? f.unit.name : f.unit.code,
        NgayDanhGia: f.at,
        KenhDanhGia: f.channel,
        MucDoHaiLong: random.weighted(['Rất hài lòng', 'Hài lòng', 'Bình thường', 'Không hài lòng'], (l) => ({ 'Rất hài lòng': 62, 'Hài lòng': 34, 'Bình thường': 3, 'Không hài lòng': 1 })[l]!),
      },
    }],
  }));
}

const SUBJECTS = ['Thời gian giải quyết hồ sơ', 'Thái độ phục vụ của công chức', 'Yêu cầu bổ sung giấy tờ', 'Phí, lệ phí', 'Hướng dẫn thủ tục'];

/** A commune of the day for a person dealing with `unit`: the unit itself when it is one. */
function homeOf(random: Random, units: SampleUnits, unit: Unit, on: number): Unit {
  if (unit.level === units.lastLevel) return unit;
  const communes = units.receiversOn(on).filter((u) => u.level === units.lastLevel);
  return communes.length > 0 ? random.pick(communes) : unit;
}

function feedback(random: Random, units: SampleUnits, plan: PortalPlan['feedback'], end: Stamp): PortalRecord[] {
  const records: PortalRecord[] = [];
  for (const { within, count, unansweredOn } of plan) {
    const days = workingDaysBetween(day(within.from), day(within.to));
    for (let i = 0; i < count; i++) {
      const on = random.pick(days);
      const received = on * MINUTES_PER_DAY + random.int(450, 990);
      const due = addWorkingDays(on, 10);
      const unit = random.pick(units.receiversOn(on));
      const sender = makeApplicant(random, units.locality(homeOf(random, units, unit, on)));
      const subject = random.pick(SUBJECTS);
      const base = {
        NgayTiepNhan: received,
        DonVi: unit.code,
        ChuDe: subject,
        HanTraLoi: due * MINUTES_PER_DAY + 17 * 60,
        NguoiGui: sender.name,
        SoDienThoai: sender.phone,
        NoiDung: `Tôi là ${sender.name}, ${sender.address}. Phản ánh về ${subject.toLowerCase()} tại ${unit.name}.`,
      };
      const versions: PortalRecord['versions'] = [{ at: received, fields: { ...base, TrangThai: 'Đang xử lý', NgayTraLoi: null } }];
      // Answered on time as a rule; one in five late; those a report saw unanswered, after it.
      let answerDay = addWorkingDays(on, random.chance(0.8) ? random.int(3, 10) : random.int(11, 16));
      if (unansweredOn !== undefined) answerDay = Math.max(answerDay, addWorkingDays(day(unansweredOn), random.int(1, 5)));
      const answered = answerDay * MINUTES_PER_DAY + random.int(450, 990);
      if (answered <= end) versions.push({ at: answered, fields: { ...base, TrangThai: 'Đã trả lời', NgayTraLoi: answered } });
      records.push({ id: `PAKN-${String(records.length + 1).padStart(4, '0')}`, versions });
    }
  }
  return records;
}

function accounts(random: Random, units: SampleUnits, plan: PortalPlan['accounts']): PortalRecord[] {
  const records: PortalRecord[] = [];
  for (const { within, perWorkingDay } of plan) {
    for (const d of workingDaysBetween(day(within.from), day(within.to))) {
      const communes = units.receiversOn(d).filter((u) => u.level === units.lastLevel);
      if (communes.length === 0) continue;
      const count = random.int(...perWorkingDay);
      for (let i = 0; i < count; i++) {
        const at = d * MINUTES_PER_DAY + random.int(420, 1260);
        const commune = random.pick(communes);
        const holder = makeApplicant(random, units.locality(commune));
        const organisation = random.chance(0.04);
        records.push({
          id: `TK${String(records.length + 1).padStart(8, '0')}`,
          versions: [{
            at,
            fields: {
              NgayDangKy: at,
              LoaiTaiKhoan: organisation ? 'Tổ chức' : 'Công dân',
              DonViHoTro: random.chance(0.7) ? commune.code : null,
              HoTen: organisation ? `Công ty TNHH ${holder.name.split(' ').at(-1)}` : holder.name,
              SoDinhDanh: holder.idNumber,
              SoDienThoai: holder.phone,
            },
          }],
        });
      }
    }
  }
  return records;
}

/** Field names of each resource: sync name, then the header of the CSV export. */
const HEADERS: Record<keyof Portal, { id: [string, string]; fields: [string, string][] }> = {
  payments: { id: ['MaGiaoDich', 'Mã giao dịch'], fields: [['MaHoSo', 'Mã hồ sơ'], ['SoTien', 'Số tiền'], ['LoaiPhi', 'Loại phí'], ['HinhThucThu', 'Hình thức thu'], ['HinhThucThanhToan', 'Hình thức thanh toán'], ['TrangThai', 'Trạng thái'], ['NgayThuPhi', 'Ngày thu phí']] },
  ratings: { id: ['MaDanhGia', 'Mã đánh giá'], fields: [['MaHoSo', 'Mã hồ sơ'], ['DonVi', 'Đơn vị'], ['NgayDanhGia', 'Ngày đánh giá'], ['KenhDanhGia', 'Kênh đánh giá'], ['MucDoHaiLong', 'Mức độ hài lòng']] },
  feedback: { id: ['MaPAKN', 'Mã PAKN'], fields: [['NgayTiepNhan', 'Ngày tiếp nhận'], ['DonVi', 'Đơn vị'], ['ChuDe', 'Chủ đề'], ['TrangThai', 'Trạng thái'], ['HanTraLoi', 'Hạn trả lời'], ['NgayTraLoi', 'Ngày trả lời'], ['NguoiGui', 'Người gửi'], ['SoDienThoai', 'Số điện thoại'], ['NoiDung', 'Nội dung']] },
  accounts: { id: ['MaTaiKhoan', 'Mã tài khoản'], fields: [['NgayDangKy', 'Ngày đăng ký'], ['LoaiTaiKhoan', 'Loại tài khoản'], ['DonViHoTro', 'Đơn vị hỗ trợ'], ['HoTen', 'Họ tên'], ['SoDinhDanh', 'Số định danh'], ['SoDienThoai', 'Số điện thoại']] },
};
const TIME_FIELDS = new Set(['NgayThuPhi', 'NgayDanhGia', 'NgayTiepNhan', 'HanTraLoi', 'NgayTraLoi', 'NgayDangKy']);
const FILE_PREFIX: Record<keyof Portal, string> = { payments: 'thanh-toan', ratings: 'danh-gia', feedback: 'pakn', accounts: 'tai-khoan' };

/** Monthly CSV exports (the records that changed that month, as they stood at its end) and the API pages of every version. */
export async function writePortal(inbox: string, apiDir: string, portal: Portal): Promise<{ files: number; pages: number }> {
  let files = 0;
  let pages = 0;
  for (const resource of Object.keys(portal) as (keyof Portal)[]) {
    const headers = HEADERS[resource];
    const byMonth = new Map<string, { id: string; at: Stamp; fields: Fields }[]>();
    for (const record of portal[resource]) {
      const lastOfMonth = new Map<string, { at: Stamp; fields: Fields }>();
      for (const version of record.versions) lastOfMonth.set(monthOf(version.at), version);
      for (const [month, version] of lastOfMonth) {
        if (!byMonth.has(month)) byMonth.set(month, []);
        byMonth.get(month)!.push({ id: record.id, ...version });
      }
    }
    for (const [month, rows] of [...byMonth].sort(([a], [b]) => a.localeCompare(b))) {
      rows.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
      const header = [headers.id[1], ...headers.fields.map(([, h]) => h), 'Ngày cập nhật'];
      const lines = rows.map((r) => [r.id, ...headers.fields.map(([name]) => csvText(name, r.fields[name])), formatStamp(r.at, true)]);
      const text = [header, ...lines].map((l) => l.map((v) => csvField(v, ',')).join(',')).join('\r\n');
      await writeFile(join(inbox, `${FILE_PREFIX[resource]}-${month}.csv`), `\uFEFF${text}\r\n`);
      files++;
    }
    const items = portal[resource]
      .flatMap((record) => record.versions.map((v) => ({ id: record.id, ...v })))
      .sort((a, b) => a.at - b.at || a.id.localeCompare(b.id))
      .map((v) => ({
        [headers.id[0]]: v.id,
        ...Object.fromEntries(headers.fields.map(([name]) => [name, TIME_FIELDS.has(name) ? syncTime((v.fields[name] as number | null) ?? undefined) : v.fields[name] ?? null])),
        NgayCapNhat: syncTime(v.at),
      }));
    pages += (await writeJsonPages(join(apiDir, resource), items)).pages;
  }
  return { files, pages };
}

function monthOf(stamp: Stamp): string {
  return new Date(stamp * 60_000).toISOString().slice(0, 7);
}

function csvText(name: string, value: Fields[string] | undefined): string {
  if (value === null || value === undefined) return '';
  if (TIME_FIELDS.has(name)) return formatStamp(value as number, true);
  if (name === 'SoTien') return groupThousands(value as number);
  return String(value);
}
