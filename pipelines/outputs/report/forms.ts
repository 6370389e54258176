// What each sheet of the report holds, independent of Excel: the columns of the official forms
// (Biểu 06 and the tables of the other indicators), and the marts they are read from.

export type Kind = 'code' | 'label' | 'count' | 'rate' | 'amount' | 'points';
/** A column of a sheet; its width follows its header and values, a label wrapping beyond `maxWidth` (in digits, as Excel counts widths). */
export type Column = { header: string; group?: string; kind: Kind; maxWidth?: number };
export type Value = string | number | null;
type Emphasis = 'total' | 'group' | 'item';
export type TableRow = { cells: Value[]; emphasis: Emphasis };
export type Sheet = {
  name: string;
  title: string;
  /** The form's number, printed top right, where the sheet is an official form. */
  form?: string;
  measuredIn: string;
  columns: Column[];
  rows: TableRow[];
  notes: string[];
};
export type Heading = {
  reportingUnit: string;
  /** The authority the report goes to, from the register; null when the register names none, to be written by hand. */
  receivingUnit: string | null;
  deployment: string;
  period: string;
  source: string;
  /** The place and date the forms are signed: "Đồng Hới, ngày 06 tháng 12 năm 2026". */
  placeAndDate: string;
};

/** A column of a unit table: a mart column under its Vietnamese header. */
type Measure = Omit<Column, 'kind'> & { field: string; kind: 'count' | 'rate' };
export type UnitTable = Omit<Sheet, 'columns' | 'rows'> & { mart: FactMart; measures: Measure[] };

export const count = (header: string, field: string, group?: string): Measure => ({ header, field, group, kind: 'count' });
export const rate = (header: string, field: string, group?: string): Measure => ({ header, field, group, kind: 'rate' });

const RECEIVED = 'Số hồ sơ nhận giải quyết';
const RESOLVED = 'Số hồ sơ đã giải quyết';
const IN_PROGRESS = 'Số hồ sơ đang giải quyết';

// Columns 1–13 are those of the form, in its order (received: total, online, direct or postal,
// carried over; resolved: total, early, on time, late; in progress: total, within, overdue), which
// is also the order of the mart's columns. Stopped dossiers are not on the form, yet without them
// the received total does not add up (1,255 in 2023): they follow as column 14, with the rate.
const BIEU_06: UnitTable = {
  name: 'Biểu 06',
  form: 'Biểu 06',
  title: 'TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH',
  measuredIn: 'Đơn vị tính: hồ sơ',
  mart: 'fct_tthc_resolution',
  measures: [
    count('Tổng số', 'received_total', RECEIVED),
    count('Trực tuyến', 'received_online', RECEIVED),
    count('Trực tiếp, dịch vụ bưu chính', 'received_direct', RECEIVED),
    count('Từ kỳ trước chuyển qua', 'carried_over', RECEIVED),
    count('Tổng số', 'resolved_total', RESOLVED),
    count('Trước hạn', 'resolved_early', RESOLVED),
    count('Đúng hạn', 'resolved_on_time', RESOLVED),
    count('Quá hạn', 'resolved_late', RESOLVED),
    count('Tổng số', 'in_progress_total', IN_PROGRESS),
    count('Trong hạn', 'in_progress_within', IN_PROGRESS),
    count('Quá hạn', 'in_progress_overdue', IN_PROGRESS),
    count('Số hồ sơ dừng xử lý, rút, từ chối', 'stopped_total'),
    rate('Tỷ lệ giải quyết trước và đúng hạn', 'on_time_rate'),
  ],
  notes: [
    'Cột (1) đến (13) theo Biểu 06; cột (14) và (15) bổ sung để đối chiếu.',
    '(3) = (4) + (5) + (6) = (7) + (11) + (14); (7) = (8) + (9) + (10); (11) = (12) + (13); (15) = [(8) + (9)] / (7).',
    'Hồ sơ dừng xử lý (14): công dân rút hồ sơ, từ chối tiếp nhận, dừng giải quyết trong kỳ.',
  ],
};

const DOSSIERS = 'Số hóa hồ sơ TTHC';
const RESULTS = 'Số hóa kết quả giải quyết TTHC';
const FEEDBACK = 'Phản ánh, kiến nghị về TTHC';
const RATINGS = 'Đánh giá mức độ hài lòng';

export const UNIT_TABLES: UnitTable[] = [
  BIEU_06,
  {
    name: 'Số hóa',
    title: 'KẾT QUẢ SỐ HÓA HỒ SƠ, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH',
    measuredIn: 'Đơn vị tính: hồ sơ, kết quả',
    mart: 'fct_digitization',
    measures: [
      count('Số hồ sơ phải số hóa', 'dossiers_requiring_digitization', DOSSIERS),
      count('Số hồ sơ đã số hóa', 'dossiers_digitized', DOSSIERS),
      rate('Tỷ lệ', 'dossier_digitization_rate', DOSSIERS),
      count('Số kết quả đã cấp', 'results_total', RESULTS),
      count('Số kết quả cấp bản điện tử', 'results_digitized', RESULTS),
      rate('Tỷ lệ', 'result_digitization_rate', RESULTS),
    ],
    notes: [
      'Hồ sơ phải số hóa (3): hồ sơ tiếp nhận trong kỳ có thành phần phải số hóa; hồ sơ mà mọi thành phần lấy từ cơ sở dữ liệu dùng chung không phải số hóa.',
      'Kết quả đã cấp (6): hồ sơ đã giải quyết trong kỳ (tiêu chí 7.2.4 Chỉ số CCHC).',
    ],
  },
  {
    name: 'DVC trực tuyến',
    title: 'KẾT QUẢ ÁP DỤNG DỊCH VỤ CÔNG TRỰC TUYẾN TRONG TIẾP NHẬN HỒ SƠ TTHC',
    measuredIn: 'Đơn vị tính: hồ sơ',
    mart: 'fct_online_service',
    measures: [
      count('Số hồ sơ của TTHC có dịch vụ công trực tuyến (toàn trình, một phần)', 'dossiers_of_online_procedures'),
      count('Số hồ sơ tiếp nhận trực tuyến', 'dossiers_online'),
      rate('Tỷ lệ', 'online_rate'),
    ],
    notes: [
      'Hồ sơ nộp trực tuyến của TTHC chưa được cung cấp dịch vụ công trực tuyến được tính ở Biểu 06, không tính ở biểu này.',
    ],
  },
  {
    name: 'Thanh toán trực tuyến',
    title: 'KẾT QUẢ THANH TOÁN TRỰC TUYẾN PHÍ, LỆ PHÍ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH',
    measuredIn: 'Đơn vị tính: hồ sơ',
    mart: 'fct_online_payment',
    measures: [
      count('Số hồ sơ trực tuyến có nghĩa vụ tài chính', 'online_dossiers_with_fee'),
      count('Số hồ sơ đã thanh toán trực tuyến', 'online_paid'),
      rate('Tỷ lệ', 'online_payment_rate'),
    ],
    notes: ['Hồ sơ tiếp nhận trực tuyến trong kỳ có phí, lệ phí; đã thanh toán trực tuyến theo Hệ thống một cửa điện tử hoặc Cổng dịch vụ công.'],
  },
  {
    name: 'PAKN và hài lòng',
    title: 'TIẾP NHẬN, XỬ LÝ PHẢN ÁNH, KIẾN NGHỊ VÀ ĐÁNH GIÁ MỨC ĐỘ HÀI LÒNG',
    measuredIn: 'Đơn vị tính: phản ánh, kiến nghị; phiếu',
    mart: 'fct_feedback_satisfaction',
    measures: [
      count('Số tiếp nhận', 'feedback_received', FEEDBACK),
      count('Đã trả lời', 'feedback_answered', FEEDBACK),
      count('Trả lời đúng hạn', 'feedback_answered_on_time', FEEDBACK),
      count('Số phiếu đánh giá', 'ratings_total', RATINGS),
      count('Hài lòng, rất hài lòng', 'ratings_satisfied', RATINGS),
      rate('Tỷ lệ hài lòng', 'satisfaction_rate', RATINGS),
    ],
    notes: ['Phản ánh, kiến nghị tính theo ngày tiếp nhận; phiếu đánh giá tính theo ngày đánh giá.'],
  },
];

const FACT_MARTS = ['fct_tthc_resolution', 'fct_digitization', 'fct_online_service', 'fct_online_payment', 'fct_feedback_satisfaction'] as const;
export type FactMart = (typeof FACT_MARTS)[number];
export const MARTS = ['dim_period', 'dim_unit', ...FACT_MARTS, 'fct_budget_execution', 'fct_par_criteria'] as const;
export type Mart = (typeof MARTS)[number];

export const STT: Column = { header: 'STT', kind: 'code' };
