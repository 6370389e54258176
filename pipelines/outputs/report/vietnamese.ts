// Vietnamese text of the report: dates as the forms write them, decimal commas, the committee's name.

/**
 * dd/mm/yyyy, read in UTC: DATE columns come back as midnight UTC, and the exports' times are
 * Vietnam's local times stored without a zone (shifting them by 7 hours would change the day).
 */
export function vietnameseDate(date: Date): string {
  return DAY_MONTH_YEAR.format(date);
}

/** Made once: making a format takes longer than formatting with it. */
const DAY_MONTH_YEAR = new Intl.DateTimeFormat('vi-VN', { timeZone: 'UTC', day: '2-digit', month: '2-digit', year: 'numeric' });

/** "≥ 50.0 %: 0.5" → "≥ 50,0 %: 0,5": text is not formatted by Excel, so it is written as Vietnamese reads it. */
export function withDecimalCommas(text: string): string {
  return text.replace(/(\d)\.(\d)/g, '$1,$2');
}

/** "Thành phố Đồng Hới" → "UBND thành phố Đồng Hới"; a name that is not a unit's kind and place stays as it is. */
export function committeeOf(name: string): string {
  if (!/^(Tỉnh|Thành phố|Thị xã|Huyện|Quận|Phường|Xã|Đặc khu) /u.test(name)) return name;
  return `UBND ${name.charAt(0).toLocaleLowerCase('vi-VN')}${name.slice(1)}`;
}

/**
 * "Đồng Hới, ngày 06 tháng 12 năm 2026", the day in Vietnam: as official documents write it, a
 * day below 10 and the months January and February take a leading zero (Nghị định 30/2020/NĐ-CP).
 */
export function placeAndDate(place: string, date: Date): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: VIETNAM, day: 'numeric', month: 'numeric', year: 'numeric' }).formatToParts(date);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const [day, month] = [part('day'), part('month')];
  return `${place}, ngày ${String(day).padStart(2, '0')} tháng ${month <= 2 ? `0${month}` : month} năm ${part('year')}`;
}

/** The office's clock: dates and times are written as Vietnam reads them, whatever the server's zone. */
export const VIETNAM = 'Asia/Ho_Chi_Minh';
