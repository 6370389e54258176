// The public-service portal (Cổng dịch vụ công): fee payments of dossiers, satisfaction
// ratings, citizen feedback (phản ánh, kiến nghị: PAKN) and account registrations. Delivered
// as CSV exports in an inbox, or pulled from its sync API (the same fields, CamelCase names).
import { z } from 'zod';
import { syncTime, type SourceContract, type TableContract } from './contract.js';

const payments: TableContract = {
  name: 'payments',
  description: 'Fee payments (thanh toán phí, lệ phí) of dossiers: one row per transaction version.',
  primaryKey: ['transaction_id'],
  cursor: 'updated_at',
  columns: [
    { name: 'transaction_id', type: 'text', required: true, notNull: true, aliases: ['Mã giao dịch', 'Mã thanh toán'], description: 'Mã giao dịch: transaction reference' },
    { name: 'dossier_id', type: 'text', required: true, notNull: true, aliases: ['Mã hồ sơ'], description: 'Mã hồ sơ the payment is for' },
    { name: 'amount_vnd', type: 'amount', nonNegative: true, required: true, notNull: true, aliases: ['Số tiền', 'Số tiền thanh toán'], description: 'Số tiền, đồng' },
    { name: 'fee_kind', type: 'text', aliases: ['Loại phí', 'Phí, lệ phí'], description: 'Phí or lệ phí' },
    { name: 'collection', type: 'text', aliases: ['Hình thức thu'], description: 'Hình thức thu: before or after processing, or exempt' },
    { name: 'method', type: { lookup: 'payment_method' }, required: true, notNull: true, aliases: ['Hình thức thanh toán', 'Phương thức thanh toán'], description: 'Hình thức thanh toán: online, cash or bank transfer' },
    { name: 'status', type: { lookup: 'payment_status' }, required: true, notNull: true, aliases: ['Trạng thái', 'Trạng thái thanh toán'], description: 'Trạng thái: waiting, unpaid, paid, refunded or cancelled' },
    { name: 'paid_at', type: 'timestamp', aliases: ['Ngày thu phí', 'Ngày thanh toán'], description: 'Ngày thu phí: time of payment' },
    { name: 'updated_at', type: 'timestamp', required: true, notNull: true, aliases: ['Ngày cập nhật'], description: 'Ngày cập nhật: time of this version' },
  ],
};

const ratings: TableContract = {
  name: 'ratings',
  description: 'Satisfaction ratings (đánh giá mức độ hài lòng): one row per survey form.',
  primaryKey: ['rating_id'],
  cursor: 'updated_at',
  columns: [
    { name: 'rating_id', type: 'text', required: true, notNull: true, aliases: ['Mã đánh giá', 'Mã phiếu'], description: 'Mã đánh giá: survey form id' },
    { name: 'dossier_id', type: 'text', aliases: ['Mã hồ sơ'], description: 'Mã hồ sơ rated; empty for a form filled at the desk without one' },
    { name: 'unit', type: { lookup: 'unit' }, required: true, notNull: true, aliases: ['Đơn vị', 'Đơn vị được đánh giá'], description: 'Unit rated, by code or name' },
    { name: 'rated_at', type: 'timestamp', required: true, notNull: true, aliases: ['Ngày đánh giá'], description: 'Ngày đánh giá' },
    { name: 'channel', type: 'text', aliases: ['Kênh đánh giá', 'Hình thức đánh giá'], description: 'Kênh đánh giá: paper form, online, kiosk' },
    { name: 'satisfaction', type: { lookup: 'satisfaction' }, required: true, notNull: true, aliases: ['Mức độ hài lòng', 'Kết quả đánh giá'], description: 'Very satisfied, satisfied, neutral or unsatisfied' },
    { name: 'updated_at', type: 'timestamp', required: true, notNull: true, aliases: ['Ngày cập nhật'], description: 'Ngày cập nhật: time of this version' },
  ],
};

const feedback: TableContract = {
  name: 'feedback',
  description: 'Citizen feedback on administrative procedures (phản ánh, kiến nghị: PAKN): one row per version.',
  primaryKey: ['feedback_id'],
  cursor: 'updated_at',
  columns: [
    { name: 'feedback_id', type: 'text', required: true, notNull: true, aliases: ['Mã PAKN', 'Mã phản ánh'], description: 'Mã PAKN' },
    { name: 'received_at', type: 'timestamp', required: true, notNull: true, aliases: ['Ngày tiếp nhận', 'Ngày gửi'], description: 'Ngày tiếp nhận' },
    { name: 'unit', type: { lookup: 'unit' }, required: true, notNull: true, aliases: ['Đơn vị', 'Đơn vị xử lý'], description: 'Unit that must answer, by code or name' },
    { name: 'subject', type: 'text', aliases: ['Chủ đề', 'Lĩnh vực phản ánh'], description: 'Chủ đề: what the feedback is about' },
    { name: 'status', type: { lookup: 'feedback_status' }, required: true, notNull: true, aliases: ['Trạng thái'], description: 'Trạng thái: in process, answered, not in the unit’s remit' },
    { name: 'due_at', type: 'timestamp', aliases: ['Hạn trả lời', 'Hạn xử lý'], description: 'Hạn trả lời: answer due' },
    { name: 'answered_at', type: 'timestamp', aliases: ['Ngày trả lời'], description: 'Ngày trả lời' },
    { name: 'sender_name', type: 'text', personal: true, aliases: ['Người gửi', 'Họ tên'], description: 'Người gửi: sender name' },
    { name: 'sender_phone', type: 'text', personal: true, aliases: ['Số điện thoại'], description: 'Sender phone' },
    { name: 'content', type: 'text', personal: true, aliases: ['Nội dung'], description: 'Nội dung: the text of the feedback (may name people)' },
    { name: 'updated_at', type: 'timestamp', required: true, notNull: true, aliases: ['Ngày cập nhật'], description: 'Ngày cập nhật: time of this version' },
  ],
};

const accounts: TableContract = {
  name: 'accounts',
  description: 'Accounts registered on the portal (tài khoản định danh): one row per account version.',
  primaryKey: ['account_id'],
  cursor: 'updated_at',
  columns: [
    { name: 'account_id', type: 'text', required: true, notNull: true, aliases: ['Mã tài khoản'], description: 'Mã tài khoản' },
    { name: 'registered_at', type: 'timestamp', required: true, notNull: true, aliases: ['Ngày đăng ký', 'Ngày tạo'], description: 'Ngày đăng ký' },
    { name: 'account_type', type: { lookup: 'account_type' }, required: true, notNull: true, aliases: ['Loại tài khoản', 'Đối tượng'], description: 'Citizen or organisation' },
    { name: 'unit', type: { lookup: 'unit' }, aliases: ['Đơn vị hỗ trợ', 'Nơi đăng ký'], description: 'Unit whose desk helped create it, if any' },
    { name: 'holder_name', type: 'text', personal: true, aliases: ['Họ tên', 'Tên tài khoản'], description: 'Account holder' },
    { name: 'holder_id_number', type: 'text', personal: true, aliases: ['Số định danh', 'Số CCCD'], description: 'Holder ID number' },
    { name: 'holder_phone', type: 'text', personal: true, aliases: ['Số điện thoại'], description: 'Holder phone' },
    { name: 'updated_at', type: 'timestamp', required: true, notNull: true, aliases: ['Ngày cập nhật'], description: 'Ngày cập nhật: time of this version' },
  ],
};

const item = (id: string, time: string, more: Record<string, z.ZodType>) =>
  z.looseObject({ [id]: z.string().min(1), [time]: syncTime, NgayCapNhat: syncTime, ...more });

export const dvc: SourceContract = {
  name: 'dvc',
  description: 'Public-service portal (Cổng dịch vụ công): payments, ratings, feedback, accounts',
  tables: { payments, ratings, feedback, accounts },
  api: {
    payments: { path: 'dvc/payments', cursorField: 'NgayCapNhat', idField: 'MaGiaoDich', item: z.looseObject({ MaGiaoDich: z.string().min(1), MaHoSo: z.string().min(1), SoTien: z.number().nonnegative(), TrangThai: z.string().min(1), NgayCapNhat: syncTime }) },
    ratings: { path: 'dvc/ratings', cursorField: 'NgayCapNhat', idField: 'MaDanhGia', item: item('MaDanhGia', 'NgayDanhGia', { DonVi: z.string().min(1), MucDoHaiLong: z.string().min(1) }) },
    feedback: { path: 'dvc/feedback', cursorField: 'NgayCapNhat', idField: 'MaPAKN', item: item('MaPAKN', 'NgayTiepNhan', { DonVi: z.string().min(1), TrangThai: z.string().min(1) }) },
    accounts: { path: 'dvc/accounts', cursorField: 'NgayCapNhat', idField: 'MaTaiKhoan', item: item('MaTaiKhoan', 'NgayDangKy', { LoaiTaiKhoan: z.string().min(1) }) },
  },
};
