// The one-stop-shop system (Hệ thống thông tin một cửa điện tử): dossier exports, one row per
// dossier version, and its procedure catalogue. Delivered as CSV or XLSX files in an inbox.
// Header spellings follow the flat exports and the national DVC sync payload (MaHoSo, NgayTiepNhan…).
import { z } from 'zod';
import { syncTime, type SourceContract, type TableContract } from './contract.js';

const dossiers: TableContract = {
  name: 'dossiers',
  description: 'Hồ sơ TTHC as exported by the one-stop-shop system: one row per dossier version.',
  primaryKey: ['dossier_id'],
  cursor: 'updated_at',
  columns: [
    { name: 'dossier_id', type: 'text', required: true, notNull: true, aliases: ['Mã hồ sơ', 'Số hồ sơ', 'Dossier code'], description: 'Mã hồ sơ: dossier code, unique within the province' },
    // Not required: the tracking book (Sổ theo dõi hồ sơ) names the procedure only, and the
    // catalogue places it by its name (int_dossiers_classified).
    { name: 'procedure_code', type: 'text', aliases: ['Mã TTHC', 'Mã thủ tục', 'Procedure code'], description: 'Mã TTHC: national procedure code, sometimes with the .000.00.00.H<province> suffix; without it, the procedure is found by its name' },
    { name: 'procedure_name', type: 'text', aliases: ['Tên thủ tục', 'Tên TTHC', 'Tên thủ tục hành chính'], description: 'Tên thủ tục: procedure name' },
    { name: 'field_code', type: 'text', aliases: ['Mã lĩnh vực'], description: 'Mã lĩnh vực: field code' },
    { name: 'field_name', type: 'text', aliases: ['Lĩnh vực', 'Tên lĩnh vực'], description: 'Lĩnh vực: field' },
    { name: 'receiving_unit', type: { lookup: 'unit' }, required: true, notNull: true, aliases: ['Đơn vị tiếp nhận', 'Đơn vị', 'Cơ quan tiếp nhận', 'Receiving unit'], description: 'Đơn vị tiếp nhận: receiving unit, by code or name' },
    { name: 'handling_unit', type: 'text', aliases: ['Đơn vị xử lý', 'Handling unit'], description: 'Đơn vị xử lý: unit whose copy of a liên thông dossier this row is' },
    { name: 'channel', type: { lookup: 'channel' }, required: true, notNull: true, aliases: ['Kênh nộp', 'Kênh thực hiện', 'Hình thức nộp', 'Channel'], description: 'Kênh nộp: 1 direct, 2 online, 3 postal, or the words' },
    { name: 'applicant_name', type: 'text', personal: true, aliases: ['Chủ hồ sơ', 'Người nộp', 'Applicant'], description: 'Chủ hồ sơ: applicant name' },
    { name: 'applicant_id_number', type: 'text', personal: true, aliases: ['Số giấy tờ', 'Số giấy tờ chủ hồ sơ', 'Số CCCD'], description: 'Số giấy tờ: applicant ID number' },
    { name: 'applicant_phone', type: 'text', personal: true, aliases: ['Số điện thoại', 'Điện thoại'], description: 'Số điện thoại: applicant phone' },
    { name: 'applicant_email', type: 'text', personal: true, aliases: ['Email', 'Thư điện tử'], description: 'Email: applicant e-mail' },
    { name: 'applicant_address', type: 'text', personal: true, aliases: ['Địa chỉ', 'Địa chỉ chủ hồ sơ'], description: 'Địa chỉ: applicant address' },
    { name: 'submitted_at', type: 'timestamp', aliases: ['Ngày nộp', 'Ngày nộp hồ sơ'], description: 'Ngày nộp: submission time (online)' },
    { name: 'received_at', type: 'timestamp', required: true, aliases: ['Ngày tiếp nhận', 'Ngày nhận hồ sơ', 'Nhận hồ sơ', 'Received at'], description: 'Ngày tiếp nhận: reception time (empty while only registered online)' },
    { name: 'due_at', type: 'timestamp', required: true, aliases: ['Ngày hẹn trả', 'Hạn trả', 'Ngày hẹn trả kết quả', 'Hẹn trả kết quả', 'Due at'], description: 'Ngày hẹn trả: due date, as moved by supplements and extensions' },
    { name: 'processing_finished_at', type: 'timestamp', aliases: ['Ngày có kết quả', 'Ngày kết thúc xử lý', 'Có kết quả', 'Nhận kết quả từ cơ quan giải quyết'], description: 'Ngày có kết quả (NgayKetThucXuLy): processing finished' },
    { name: 'result_returned_at', type: 'timestamp', aliases: ['Ngày trả kết quả', 'Ngày trả', 'Trả kết quả', 'Trả kết quả cho cá nhân, tổ chức'], description: 'Ngày trả kết quả (NgayTra): result returned to the applicant' },
    { name: 'refused_at', type: 'timestamp', aliases: ['Ngày từ chối', 'Ngày dừng xử lý'], description: 'Ngày từ chối (NgayTuChoi): refused or stopped' },
    { name: 'status', type: { lookup: 'status' }, required: true, notNull: true, aliases: ['Trạng thái', 'Trạng thái hồ sơ', 'Status'], description: 'Trạng thái: status code 1–10 or its words' },
    { name: 'has_digitized_components', type: 'boolean', aliases: ['Số hóa hồ sơ', 'Hồ sơ có thành phần số hóa'], description: 'Số hóa hồ sơ: components digitized (empty: digitization not required)' },
    { name: 'result_digitized', type: 'boolean', aliases: ['Số hóa kết quả'], description: 'Số hóa kết quả: result issued as an electronic document' },
    { name: 'fee_vnd', type: 'amount', nonNegative: true, aliases: ['Phí, lệ phí', 'Phí lệ phí', 'Lệ phí'], description: 'Phí, lệ phí: fees and charges, đồng' },
    { name: 'paid_online', type: 'boolean', aliases: ['Thanh toán trực tuyến', 'Được thanh toán trực tuyến'], description: 'Thanh toán trực tuyến: fees paid online' },
    // Versions are ordered by it (latest wins): an export without it cannot be placed among the others.
    { name: 'updated_at', type: 'timestamp', required: true, notNull: true, aliases: ['Ngày cập nhật', 'Updated at'], description: 'Ngày cập nhật: time of this version' },
    // Filled by API pulls only: the whole item, whose nested lists become staging tables. Its
    // nested lists may hold anything (a file named after the applicant): personal, but erased down
    // to the keys the models read, so that they can be rebuilt after the retention.
    {
      name: 'record_json', type: 'text', personal: true, aliases: [],
      description: 'The item of the sync API as received, JSON, without the fields of the other personal columns',
      keptOnErase: JSON.stringify({
        TaiLieuNop: [{ MaThanhPhanHoSo: 'JSON', DuocSoHoa: 'JSON', DuocTaiSuDung: 'JSON', DuocLayTuKhoDMQG: 'JSON' }],
        DanhSachLePhi: [{ MaPhiLePhi: 'JSON', TenPhiLePhi: 'JSON', Gia: 'JSON', HinhThucThu: 'JSON' }],
        DanhSachGiayToKetQua: [{ TenGiayTo: 'JSON', CoTepDienTu: 'JSON' }],
        DanhSachHoSoBoSung: [{ NgayBoSung: 'JSON', NgayHenTraTruoc: 'JSON', NgayHenTraMoi: 'JSON' }],
        QuaTrinhXuLy: [{ ThoiDiemXuLy: 'JSON', PhongBanXuLy: 'JSON', TrangThai: 'JSON' }],
      }),
    },
  ],
};

const timeOrNull = syncTime.nullable().optional();

/** An item of the dossier sync API: the fields the warehouse relies on, typed; others pass. */
const dossierItem = z.looseObject({
  MaHoSo: z.string().min(1),
  MaTTHC: z.string().min(1),
  DonViTiepNhan: z.string().min(1),
  KenhThucHien: z.number().int().min(1).max(3),
  TrangThaiHoSo: z.number().int().min(1).max(10),
  NgayTiepNhan: timeOrNull,
  NgayHenTra: timeOrNull,
  NgayKetThucXuLy: timeOrNull,
  NgayTra: timeOrNull,
  NgayTuChoi: timeOrNull,
  NgayCapNhat: syncTime,
  HoSoCoThanhPhanSoHoa: z.boolean().nullable().optional(),
  TaiLieuNop: z.array(z.looseObject({ MaThanhPhanHoSo: z.string(), DuocSoHoa: z.boolean() })).optional(),
  DanhSachLePhi: z.array(z.looseObject({ Gia: z.number().nonnegative() })).optional(),
  DanhSachGiayToKetQua: z.array(z.looseObject({ CoTepDienTu: z.boolean() })).optional(),
  DanhSachHoSoBoSung: z.array(z.looseObject({ NgayBoSung: syncTime, NgayHenTraMoi: syncTime })).optional(),
});

const procedures: TableContract = {
  name: 'procedures',
  description: 'Danh mục TTHC: the procedure catalogue of the one-stop-shop system.',
  primaryKey: ['procedure_code'],
  columns: [
    { name: 'procedure_code', type: 'text', required: true, notNull: true, aliases: ['Mã TTHC', 'Mã thủ tục'], description: 'Mã TTHC: national procedure code' },
    { name: 'procedure_name', type: 'text', required: true, notNull: true, aliases: ['Tên thủ tục', 'Tên TTHC'], description: 'Tên thủ tục: procedure name' },
    { name: 'level', type: { lookup: 'level' }, required: true, notNull: true, aliases: ['Cấp thực hiện', 'Cấp'], description: 'Cấp thực hiện: city (cấp huyện) or commune (cấp xã)' },
    { name: 'field_code', type: 'text', aliases: ['Mã lĩnh vực'], description: 'Mã lĩnh vực: field code' },
    { name: 'field_name', type: 'text', aliases: ['Lĩnh vực', 'Tên lĩnh vực'], description: 'Lĩnh vực: field' },
    { name: 'agency', type: 'text', aliases: ['Cơ quan thực hiện', 'Cơ quan giải quyết'], description: 'Cơ quan thực hiện: agency in charge' },
    { name: 'online_level', type: { lookup: 'online_level' }, required: true, aliases: ['Mức độ DVC', 'Mức độ', 'Mức độ dịch vụ công trực tuyến'], description: 'Mức độ DVC: 2 information only, 3 partial online, 4 full online' },
    { name: 'processing_days', type: 'integer', aliases: ['Thời hạn giải quyết', 'Số ngày giải quyết'], description: 'Thời hạn giải quyết: time limit, working days' },
    { name: 'fee_vnd', type: 'amount', nonNegative: true, aliases: ['Phí, lệ phí', 'Lệ phí'], description: 'Phí, lệ phí: fee, đồng' },
    { name: 'catalogue_status', type: { lookup: 'catalogue_status' }, aliases: ['Trạng thái', 'Tình trạng'], description: 'Trạng thái: in force or repealed' },
  ],
};

export const motcua: SourceContract = {
  name: 'motcua',
  description: 'One-stop-shop system (một cửa điện tử): dossiers and the procedure catalogue',
  tables: { dossiers, procedures },
  api: { dossiers: { path: 'motcua/dossiers', cursorField: 'NgayCapNhat', idField: 'MaHoSo', item: dossierItem } },
};
