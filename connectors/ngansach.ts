// The budget system (ngân sách): quarterly workbooks of budget execution, estimate against
// actual, with cumulative year-to-date figures. Read by connectors/formats/budget-workbook.ts,
// which turns the report layout into one row per budget line.
import type { SourceContract, TableContract } from './contract.js';

const budgetLines: TableContract = {
  name: 'budget_lines',
  description: 'Lines of a budget execution report (báo cáo thực hiện dự toán ngân sách), as printed.',
  primaryKey: ['report_period', 'item_path'],
  layout: 'budget_workbook',
  columns: [
    { name: 'report_period', type: 'text', required: true, notNull: true, aliases: [], description: 'Quarter the report runs to (year to date), read from its title: 2023-Q4' },
    { name: 'report_title', type: 'text', aliases: [], description: 'Title of the report, as printed' },
    { name: 'amount_unit', type: { lookup: 'budget_unit' }, required: true, notNull: true, aliases: [], description: 'Đơn vị tính of the report: triệu đồng, đồng, nghìn đồng or tỷ đồng' },
    { name: 'item_code', type: 'text', required: true, aliases: ['STT', 'TT', 'Số thứ tự'], description: 'STT as printed: A, I, 1, 1.1, or - for a "trong đó" line' },
    { name: 'item_path', type: 'text', required: true, notNull: true, aliases: [], description: 'Position in the hierarchy, e.g. A.I.2: the codes of the line and its parents' },
    { name: 'item_name', type: 'text', required: true, notNull: true, aliases: ['Nội dung', 'Chỉ tiêu', 'Nội dung thu, chi'], description: 'Nội dung: the budget line' },
    { name: 'estimate', type: 'amount', required: true, aliases: ['Dự toán'], description: 'Dự toán năm: the year’s estimate' },
    { name: 'actual_period', type: 'amount', aliases: ['Thực hiện quý', 'Quý này', 'Kỳ này', 'Thực hiện trong kỳ'], description: 'Thực hiện of the quarter, as printed' },
    { name: 'actual_cumulative', type: 'amount', required: true, aliases: ['Lũy kế', 'Thực hiện lũy kế', 'Lũy kế từ đầu năm', 'Thực hiện 3 tháng', 'Thực hiện 6 tháng', 'Thực hiện 9 tháng'], description: 'Thực hiện lũy kế: actual from the start of the year' },
  ],
};

export const ngansach: SourceContract = {
  name: 'ngansach',
  description: 'Budget system (ngân sách): quarterly budget execution workbooks',
  tables: { budget_lines: budgetLines },
};
