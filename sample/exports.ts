// Writes the simulated dossiers as the one-stop-shop system exports them: a weekly file of the
// dossiers that changed that week (so a dossier reappears as its status changes), in the
// formats met in practice (CSV with or without BOM, ',' or ';', XLSX; Vietnamese headers in NFC,
// NFD, without diacritics or as the sync names; codes or words), and the procedure catalogue;
// api-pages.ts writes the same dossier versions as the sync API. A dossier keeps the receiving
// unit it came with in every row, the way the export system keeps old unit codes on old
// dossiers; the handling unit is whoever does its work on the row's date.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { day, isoWeek, mondayOf, type Day } from './calendar.js';
import type { Level, Procedure } from './catalogue.js';
import { unitAt, type Dossier } from './dossiers.js';
import type { SamplePlan } from './plan.js';
import { dayOf, MINUTES_PER_DAY, type Stamp, type Status } from './timeline.js';
import type { Unit } from './units.js';

/** The first and last day of a sample's data. */
export type Span = Pick<SamplePlan, 'start' | 'end'>;

const STATUS_WORDS: Record<Status, string> = {
  1: 'Mới đăng ký', 2: 'Đã tiếp nhận', 3: 'Không tiếp nhận', 4: 'Đang xử lý', 5: 'Yêu cầu bổ sung',
  7: 'Công dân rút hồ sơ', 8: 'Dừng xử lý', 9: 'Đã xử lý xong', 10: 'Đã trả kết quả',
};
const CHANNEL_WORDS = { 1: 'Trực tiếp', 2: 'Trực tuyến', 3: 'Bưu chính công ích' } as const;
export const PROVINCE_SUFFIX = '.000.00.00.H15';

/** The flat export's columns: canonical name, Vietnamese header, sync-payload name. */
const COLUMNS = [
  ['dossier_id', 'Mã hồ sơ', 'MaHoSo'],
  ['procedure_code', 'Mã TTHC', 'MaTTHC'],
  ['procedure_name', 'Tên thủ tục', 'TenTTHC'],
  ['field_name', 'Lĩnh vực', 'TenLinhVuc'],
  ['receiving_unit', 'Đơn vị tiếp nhận', 'DonViTiepNhan'],
  ['handling_unit', 'Đơn vị xử lý', 'DonViXuLy'],
  ['channel', 'Kênh nộp', 'KenhThucHien'],
  ['applicant_name', 'Chủ hồ sơ', 'ChuHoSo'],
  ['applicant_id_number', 'Số giấy tờ', 'SoGiayToChuHoSo'],
  ['applicant_phone', 'Số điện thoại', 'SoDienThoai'],
  ['applicant_email', 'Email', 'Email'],
  ['applicant_address', 'Địa chỉ', 'DiaChi'],
  ['submitted_at', 'Ngày nộp', 'NgayNopHoSo'],
  ['received_at', 'Ngày tiếp nhận', 'NgayTiepNhan'],
  ['due_at', 'Ngày hẹn trả', 'NgayHenTra'],
  ['processing_finished_at', 'Ngày có kết quả', 'NgayKetThucXuLy'],
  ['result_returned_at', 'Ngày trả kết quả', 'NgayTra'],
  ['refused_at', 'Ngày từ chối', 'NgayTuChoi'],
  ['status', 'Trạng thái', 'TrangThaiHoSo'],
  ['has_digitized_components', 'Số hóa hồ sơ', 'HoSoCoThanhPhanSoHoa'],
  ['result_digitized', 'Số hóa kết quả', 'SoHoaKetQua'],
  ['fee_vnd', 'Phí, lệ phí', 'PhiLePhi'],
  ['paid_online', 'Thanh toán trực tuyến', 'DuocThanhToanTrucTuyen'],
  ['updated_at', 'Ngày cập nhật', 'NgayCapNhat'],
] as const;
type Column = (typeof COLUMNS)[number][0];

/** A dossier as it stood at one moment: one row of an export. */
export type Version = {
  dossier: Dossier;
  at: Stamp;
  status: Status;
  /** Set on the extra row that the other agency of a liên thông dossier exports: that agency, on the row's date. */
  copyOf: Unit | undefined;
};

type WeekFormat = {
  kind: 'csv' | 'xlsx';
  delimiter: ',' | ';';
  bom: boolean;
  headers: 'nfc' | 'nfd' | 'ascii' | 'sync';
  statusAsCode: boolean;
  channelAsCode: boolean;
  withSeconds: boolean;
  dueDateOnly: boolean;
  procedureSuffix: boolean;
  unitAs: 'name' | 'alias' | 'code';
  booleans: 'words' | 'digits';
  groupedAmounts: boolean;
  shuffled: boolean;
  dateCells: boolean;
};

/** The export formats vary from week to week, the way they do between system versions and operators. */
function weekFormat(w: number): WeekFormat {
  const kind = w % 8 === 5 ? 'xlsx' : 'csv';
  return {
    kind,
    delimiter: w % 4 === 2 ? ';' : ',',
    bom: w % 3 === 1,
    headers: w % 11 === 6 ? 'sync' : w % 7 === 4 ? 'ascii' : w % 5 === 3 ? 'nfd' : 'nfc',
    statusAsCode: w % 2 === 1,
    channelAsCode: w % 3 === 0,
    withSeconds: w % 6 !== 0,
    dueDateOnly: w % 2 === 0,
    procedureSuffix: w % 4 === 1,
    unitAs: w % 10 === 8 ? 'code' : w % 10 === 3 ? 'alias' : 'name',
    booleans: w % 3 === 2 ? 'digits' : 'words',
    groupedAmounts: w % 2 === 0,
    shuffled: w % 9 === 7,
    dateCells: kind === 'xlsx' && w % 16 === 5,
  };
}

/** Each dossier once per week in which its status changed, as it stood at its last change that week. */
export function weeklyVersions(dossiers: Dossier[], span: Span): Map<Day, Version[]> {
  const weeks = new Map<Day, Version[]>();
  for (let monday = mondayOf(day(span.start)); monday <= day(span.end); monday += 7) weeks.set(monday, []);
  for (const dossier of dossiers) {
    const lastOfWeek = new Map<Day, { at: Stamp; status: Status }>();
    for (const point of dossier.checkpoints) lastOfWeek.set(mondayOf(dayOf(point.at)), point);
    for (const [monday, point] of lastOfWeek) {
      const rows = weeks.get(monday)!;
      if (dossier.partners && point.status >= 2) {
        // The other agency's copy: its own, earlier update; the receiving unit's row wins.
        const at = point.at - 1 - (point.at % 97);
        rows.push({ dossier, at, status: point.status === 2 ? 2 : 4, copyOf: unitAt(dossier.partners, at) });
      }
      rows.push({ dossier, at: point.at, status: point.status, copyOf: undefined });
    }
  }
  for (const rows of weeks.values()) rows.sort((a, b) => a.at - b.at || a.dossier.id.localeCompare(b.dossier.id));
  return weeks;
}

/** The facts of a version, as the export's columns, before any formatting choice. */
export function facts(v: Version) {
  const d = v.dossier;
  const at = v.at;
  const seen = (s: Stamp | undefined) => (s !== undefined && s <= at && !v.copyOf ? s : undefined);
  const received = d.receivedAt !== undefined && d.receivedAt <= at ? d.receivedAt : undefined;
  const due = received === undefined ? undefined : d.supplement && d.supplement.resumedAt <= at ? d.supplement.dueAfter : d.dueBefore;
  const finished = seen(d.finishedAt);
  const stopped = seen(d.stoppedAt);
  return {
    received,
    due,
    finished,
    returned: seen(d.returnedAt),
    // Withdrawals (7) carry no date of their own; the time of the row tells when.
    refused: stopped !== undefined && v.status !== 7 ? stopped : undefined,
    resultDigitized: finished !== undefined && d.resultDigitized,
  };
}

export function formatStamp(stamp: Stamp, withSeconds: boolean): string {
  const t = new Date(stamp * 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  const date = `${p(t.getUTCDate())}/${p(t.getUTCMonth() + 1)}/${t.getUTCFullYear()}`;
  return `${date} ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}${withSeconds ? ':00' : ''}`;
}

export function groupThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
}

function unitLabel(unit: Unit, style: WeekFormat['unitAs']): string {
  if (style === 'code') return unit.code;
  if (style === 'alias') return unit.aliases[0] ?? unit.name;
  return unit.name;
}

function cellValues(v: Version, f: WeekFormat): Record<Column, string | Date> {
  const d = v.dossier;
  const x = facts(v);
  const date = (s: Stamp | undefined): string | Date => {
    if (s === undefined) return '';
    return f.dateCells ? new Date(s * 60_000) : formatStamp(s, f.withSeconds);
  };
  const dueText = (due: Day | undefined): string | Date => {
    if (due === undefined) return '';
    if (f.dateCells) return new Date(due * 86_400_000);
    const text = formatStamp(due * MINUTES_PER_DAY + 17 * 60, f.withSeconds);
    return f.dueDateOnly ? text.slice(0, 10) : text;
  };
  const yesNo = (b: boolean | null) => (b === null ? '' : f.booleans === 'digits' ? (b ? '1' : '0') : b ? 'Có' : 'Không');
  return {
    dossier_id: d.id,
    procedure_code: d.procedure.code + (f.procedureSuffix ? PROVINCE_SUFFIX : ''),
    procedure_name: d.procedure.name,
    field_name: d.procedure.fieldName,
    receiving_unit: unitLabel(d.unit, f.unitAs),
    handling_unit: (v.copyOf ?? unitAt(d.handlers, v.at)).name,
    channel: f.channelAsCode ? String(d.channel) : CHANNEL_WORDS[d.channel],
    applicant_name: d.applicant.name,
    applicant_id_number: d.applicant.idNumber,
    applicant_phone: d.applicant.phone,
    applicant_email: d.applicant.email,
    applicant_address: d.applicant.address,
    submitted_at: date(d.submittedAt),
    received_at: date(x.received),
    due_at: dueText(x.due),
    processing_finished_at: date(x.finished),
    result_returned_at: date(x.returned),
    refused_at: date(x.refused),
    status: f.statusAsCode ? String(v.status) : STATUS_WORDS[v.status],
    has_digitized_components: x.received === undefined ? '' : yesNo(d.hasDigitized),
    result_digitized: x.finished === undefined ? '' : yesNo(x.resultDigitized),
    fee_vnd: d.feeVnd === 0 ? '0' : f.groupedAmounts ? groupThousands(d.feeVnd) : String(d.feeVnd),
    paid_online: d.channel === 2 ? yesNo(d.paidOnline) : yesNo(false),
    updated_at: date(v.at),
  };
}

function headerText(column: (typeof COLUMNS)[number], style: WeekFormat['headers']): string {
  const [, vietnamese, sync] = column;
  if (style === 'sync') return sync;
  if (style === 'nfd') return vietnamese.normalize('NFD');
  if (style === 'ascii') return vietnamese.normalize('NFD').replace(/\p{M}/gu, '').replace(/[đĐ]/g, 'D').toUpperCase();
  return vietnamese;
}

function columnOrder(f: WeekFormat, w: number): (typeof COLUMNS)[number][] {
  const columns = [...COLUMNS];
  // A reordered export: rotate, and move the personal columns to the end.
  return f.shuffled ? [...columns.slice(w % 5 + 1), ...columns.slice(0, w % 5 + 1)] : columns;
}

export function csvField(value: string, delimiter: string): string {
  return /["\r\n]/.test(value) || value.includes(delimiter) ? `"${value.replaceAll('"', '""')}"` : value;
}

export async function writeWeeklyExports(dir: string, dossiers: Dossier[], span: Span): Promise<{ files: number; rows: number }> {
  let w = 0;
  let rows = 0;
  for (const [monday, versions] of weeklyVersions(dossiers, span)) {
    const format = weekFormat(w);
    const columns = columnOrder(format, w);
    const name = `ho-so-${isoWeek(monday)}.${format.kind}`;
    const header = columns.map((c) => headerText(c, format.headers));
    const lines = versions.map((v) => {
      const values = cellValues(v, format);
      return columns.map((c) => values[c[0]]);
    });
    if (format.kind === 'xlsx') await writeXlsx(join(dir, name), header, lines, format, monday + 7);
    else await writeCsv(join(dir, name), header, lines as string[][], format);
    rows += versions.length;
    w++;
  }
  return { files: w, rows };
}

async function writeCsv(path: string, header: string[], lines: string[][], f: WeekFormat): Promise<void> {
  const out = createWriteStream(path);
  if (f.bom) out.write('\uFEFF');
  out.write(`${header.map((h) => csvField(h, f.delimiter)).join(f.delimiter)}\r\n`);
  for (const line of lines) {
    if (!out.write(`${line.map((v) => csvField(v, f.delimiter)).join(f.delimiter)}\r\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function writeXlsx(path: string, header: string[], lines: (string | Date)[][], f: WeekFormat, written: Day): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: false, useStyles: f.dateCells });
  workbook.creator = 'Hệ thống thông tin một cửa điện tử';
  workbook.created = workbook.modified = new Date(written * 86_400_000);
  const sheet = workbook.addWorksheet('Danh sách hồ sơ');
  sheet.addRow(header).commit();
  for (const line of lines) {
    const row = sheet.addRow(line.map((v) => (v === '' ? null : v)));
    if (f.dateCells) {
      row.eachCell((cell) => {
        if (cell.value instanceof Date) cell.numFmt = 'dd/mm/yyyy hh:mm';
      });
    }
    row.commit();
  }
  sheet.commit();
  await workbook.commit();
}

const ONLINE_LEVEL_WORDS = { 2: 'Cung cấp thông tin', 3: 'Một phần', 4: 'Toàn trình' } as const;

/** The catalogue, each procedure at the level `levels` writes for its catalogue level, its agency by name where the register has it. */
export async function writeCatalogue(path: string, catalogue: Procedure[], levels: Partial<Record<Level, string>>, agencies: Map<string, Unit>): Promise<void> {
  const header = ['Mã TTHC', 'Tên thủ tục', 'Cấp thực hiện', 'Mã lĩnh vực', 'Lĩnh vực', 'Cơ quan thực hiện', 'Mức độ DVC', 'Thời hạn giải quyết', 'Phí, lệ phí', 'Trạng thái'];
  const lines = catalogue.map((p) => [
    p.code,
    p.name,
    levels[p.level] ?? '',
    p.fieldCode,
    p.fieldName,
    p.agency ? (agencies.get(p.agency)?.name ?? '') : 'UBND cấp xã',
    ONLINE_LEVEL_WORDS[p.onlineLevel],
    String(p.days),
    groupThousands(p.feeVnd),
    p.inForce ? 'Đang áp dụng' : 'Hết hiệu lực',
  ]);
  const text = [header, ...lines].map((l) => l.map((v) => csvField(v, ',')).join(',')).join('\r\n');
  await writeFile(path, `${text}\r\n`);
}
