// Numbers and times as Vietnamese reads them: 15.755 hồ sơ, 78,51 %, 06/12/2026 14:05.
import { VIETNAM } from '../report/vietnamese.js';

const COUNT = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 0 });
const PERCENT = new Intl.NumberFormat('vi-VN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A count with "." between thousands, a rate as a percentage with two decimals; no figure is "–". */
export function formatValue(value: number | null | undefined, kind: 'count' | 'rate'): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  // A no-break space: 94,78 % never splits across two lines.
  return kind === 'rate' ? `${PERCENT.format(value * 100)}\u00a0%` : COUNT.format(value);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${PERCENT.format(bytes / 1024)} KB`;
  return `${PERCENT.format(bytes / 1024 / 1024)} MB`;
}

/**
 * dd/mm/yyyy hh:mm. `zone` UTC for the exports' times, which are Vietnam's local times stored
 * without a zone (read as UTC they show as written).
 */
export function vietnameseDateTime(date: Date, zone = VIETNAM): string {
  const parts = new Intl.DateTimeFormat('vi-VN', {
    timeZone: zone, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false,
  }).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('day')}/${part('month')}/${part('year')} ${part('hour')}:${part('minute')}`;
}
