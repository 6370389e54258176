// Days as integers (days since 1970-01-01, Vietnam local dates) and the working calendar of a
// one-stop-shop desk: Monday to Friday, without public holidays.

export type Day = number;

const MS_PER_DAY = 86_400_000;

export function day(iso: string): Day {
  return Math.round(Date.parse(`${iso}T00:00:00Z`) / MS_PER_DAY);
}

/** The day as YYYY-MM-DD. */
export function isoDay(d: Day): string {
  return new Date(d * MS_PER_DAY).toISOString().slice(0, 10);
}

export function weekday(d: Day): number {
  return new Date(d * MS_PER_DAY).getUTCDay(); // 0 Sunday … 6 Saturday
}

/** Mondays start export weeks. */
export function mondayOf(d: Day): Day {
  return d - ((weekday(d) + 6) % 7);
}

// Tết, Hùng Kings, Reunification and Labour Day, National Day, New Year (with the days moved in those years).
const HOLIDAYS = new Set(
  [
    '2023-01-02', '2023-01-20', '2023-01-23', '2023-01-24', '2023-01-25', '2023-01-26',
    '2023-05-01', '2023-05-02', '2023-05-03', '2023-09-01', '2023-09-04',
    '2024-01-01', '2024-02-08', '2024-02-09', '2024-02-12', '2024-02-13', '2024-02-14',
    '2024-04-18', '2024-04-29', '2024-04-30', '2024-05-01', '2024-09-02', '2024-09-03',
    '2025-01-01', '2025-01-27', '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31',
    '2025-04-07', '2025-04-30', '2025-05-01', '2025-05-02', '2025-09-01', '2025-09-02',
    '2026-01-01', '2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20',
    '2026-04-27', '2026-04-30', '2026-05-01', '2026-09-01', '2026-09-02',
  ].map(day),
);

export function isWorkingDay(d: Day): boolean {
  const w = weekday(d);
  return w !== 0 && w !== 6 && !HOLIDAYS.has(d);
}

export function addWorkingDays(from: Day, n: number): Day {
  let d = from;
  let left = n;
  while (left > 0) {
    d++;
    if (isWorkingDay(d)) left--;
  }
  return d;
}

export function workingDaysBetween(first: Day, last: Day): Day[] {
  const days: Day[] = [];
  for (let d = first; d <= last; d++) if (isWorkingDay(d)) days.push(d);
  return days;
}

/** ISO week label of a Monday: 2023-W05. */
export function isoWeek(monday: Day): string {
  const thursday = monday + 3;
  const year = new Date(thursday * MS_PER_DAY).getUTCFullYear();
  const firstThursday = day(`${year}-01-01`);
  const offset = (4 - weekday(firstThursday) + 7) % 7;
  const week = Math.floor((thursday - (firstThursday + offset)) / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}
