// Fictitious applicants: Vietnamese names, 12-digit citizen ID numbers of Quảng Bình (044…),
// mobile numbers, e-mails and street addresses in the deployment's communes. They exist so that
// tests can prove that personal data never leaves `raw`.
import type { Random } from './random.js';

export type Applicant = { name: string; idNumber: string; phone: string; email: string; address: string };

const SURNAMES = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Phan', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý', 'Trương', 'Đinh'];
const MIDDLE = { male: ['Văn', 'Hữu', 'Đức', 'Minh', 'Quang', 'Xuân', 'Thanh', 'Công'], female: ['Thị', 'Ngọc', 'Thu', 'Thanh', 'Minh', 'Hồng', 'Kim', 'Diệu'] };
const GIVEN = {
  male: ['An', 'Bình', 'Cường', 'Dũng', 'Hải', 'Hùng', 'Long', 'Nam', 'Phong', 'Quân', 'Sơn', 'Thắng', 'Trung', 'Tuấn', 'Việt', 'Khoa', 'Lộc', 'Tâm'],
  female: ['Hà', 'Hạnh', 'Hiền', 'Hoa', 'Hương', 'Lan', 'Linh', 'Mai', 'Nga', 'Phương', 'Thảo', 'Trang', 'Vân', 'Yến', 'Nhung', 'Oanh', 'Tâm', 'Huyền'],
};
const STREETS = ['Trần Hưng Đạo', 'Lý Thường Kiệt', 'Quang Trung', 'Hữu Nghị', 'Lê Lợi', 'Hai Bà Trưng', 'F325', 'Nguyễn Trãi', 'Phan Đình Phùng', 'Trương Pháp', 'Lý Thái Tổ', 'Tôn Đức Thắng', 'Hà Huy Tập', 'Nguyễn Hữu Cảnh'];

function ascii(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').replace(/[đĐ]/g, 'd').toLowerCase();
}

/** `locality`: the commune and the bodies above it, as the address ends ("phường Nam Lý, thành phố Đồng Hới"). */
export function makeApplicant(random: Random, locality: string): Applicant {
  const sex = random.chance(0.5) ? 'male' : 'female';
  const surname = random.pick(SURNAMES);
  const given = random.pick(GIVEN[sex]);
  const name = `${surname} ${random.pick(MIDDLE[sex])} ${given}`;
  const born = random.int(1950, 2005);
  // 044 = Quảng Bình; the fourth digit codes sex and century, the next two the year of birth.
  const centuryDigit = (born >= 2000 ? 2 : 0) + (sex === 'female' ? 1 : 0);
  const idNumber = `044${centuryDigit}${String(born % 100).padStart(2, '0')}${String(random.int(0, 999_999)).padStart(6, '0')}`;
  const phone = `${random.pick(['09', '03', '08', '07'])}${String(random.int(0, 99_999_999)).padStart(8, '0')}`;
  const email = random.chance(0.4) ? `${ascii(given)}${ascii(surname)}${random.int(10, 99)}@gmail.com` : '';
  const address = `Số ${random.int(1, 250)}, đường ${random.pick(STREETS)}, ${locality}`;
  return { name, idNumber, phone, email, address };
}
