// What a sample is built to: its cohorts (the dossiers received in a window, each with a fate:
// resolved or stopped in a window, or still open at the end of the data, perhaps after being
// seen open on an earlier day), its portal events and its span. The reference plan, Đồng Hới's,
// is in reference-plan.ts; the steady plan, for any other register, in steady.ts.
import { day, isoDay } from './calendar.js';
import type { Level } from './catalogue.js';
import type { Unit } from './units.js';

export type Window = { from: string; to: string };

/** The last day of every sample's data: November 2026 is its last month. */
export const DATA_END = '2026-11-30';

export type Ending =
  | { kind: 'resolved'; within: Window; timeliness: 'early_or_on_time' | 'late' }
  | { kind: 'stopped'; within: Window }
  /** Still open on the last day of the data; overdue when due before it. */
  | { kind: 'open'; overdue: boolean };

/** How a dossier ends, and the earlier day on which a report saw it still open (overdue or not), if one did. */
export type Fate = Ending & { openOn?: { day: string; overdue: boolean } };

export type LevelPlan = {
  received: number;
  /** Online / direct dossiers of procedures offered online, and online dossiers of the others (the rest are direct). */
  onlineOfOnlineProcedures: number;
  directOfOnlineProcedures: number;
  onlineOfOtherProcedures: number;
  /** Dossiers whose components must be digitized, and how many were. */
  requiringDigitization: number;
  digitized: number;
  /** Online dossiers with a fee, and how many of them were paid online. */
  onlineWithFee: number;
  paidOnline: number;
  fates: [Fate, number][];
};

/** The dossiers received in a window, by the catalogue level of their procedures. */
export type Cohort = {
  name: string;
  received: Window;
  city?: LevelPlan;
  commune?: LevelPlan;
  /** The unit that receives all of them; without it, the units valid on the day take them by the procedure's agency and the applicant's commune. */
  unit?: string;
  /** Share of the dossiers of city-level procedures received at the entity's own desk, when it has one that day. */
  deskShare?: number;
};

export type PortalPlan = {
  /** The survey forms of dossiers returned in `within`, exactly `count` with `deskForms` of them on paper at a desk. */
  fixedRatings: { within: Window; count: number; deskForms: number } | undefined;
  /** Share of the other returned dossiers that get a form. */
  ratedShare: number;
  /** Citizen feedback (PAKN) received in each window; `unansweredOn`: still without an answer at the end of that day. */
  feedback: { within: Window; count: number; unansweredOn?: string }[];
  /** Accounts registered each working day of a window, from the first number to the second. */
  accounts: { within: Window; perWorkingDay: [number, number] }[];
};

export type SamplePlan = {
  name: 'reference' | 'steady';
  /** The span of the data, first and last day. */
  start: string;
  end: string;
  /** The catalogue's level of the procedures of each catalogue level the plan uses (Cấp thực hiện); the others are left out. */
  procedureLevels: Partial<Record<Level, string>>;
  cohorts: Cohort[];
  /** Where the applicants of dossiers bound to no unit live, by weight: communes that receive their commune-level dossiers (their successors, once they ended). */
  residences: { unit: Unit; weight: number }[];
  /** Results issued electronically among the dossiers resolved in each window. */
  resultsDigitized: { within: Window; count?: number; share?: number }[];
  /** Online registrations never received (status 1): not counted anywhere, as in the real system. */
  abandoned: { within: Window; count: number }[];
  portal: PortalPlan;
  /** Whether it writes the budget workbooks (Đồng Hới's, through Q1 2024). */
  budget: boolean;
};

export const resolved = (within: Window, timeliness: 'early_or_on_time' | 'late'): Ending => ({ kind: 'resolved', within, timeliness });
export const stopped = (within: Window): Ending => ({ kind: 'stopped', within });
export const open = (overdue: boolean): Ending => ({ kind: 'open', overdue });

/** The mixes of a cohort, as shares: online, digitization, fees. */
export type Mix = {
  onlineOfOnline: number;
  directOfOnline: number;
  onlineOfOther: number;
  requiring: number;
  digitized: number;
  withFee: number;
  paidOnline: number;
};

/** A level of a cohort from shares: each fate of `fates` its share of the dossiers, `otherwise` the rest. */
export function levelPlan(received: number, mix: Mix, otherwise: Fate, fates: [Fate, number][]): LevelPlan {
  const onlineOfOnlineProcedures = Math.round(received * mix.onlineOfOnline);
  const onlineOfOtherProcedures = Math.round(received * mix.onlineOfOther);
  const requiringDigitization = Math.round(received * mix.requiring);
  const onlineWithFee = Math.round((onlineOfOnlineProcedures + onlineOfOtherProcedures) * mix.withFee);
  const counted = fates.map(([fate, share]): [Fate, number] => [fate, Math.floor(received * share)]).filter(([, n]) => n > 0);
  return {
    received,
    onlineOfOnlineProcedures,
    directOfOnlineProcedures: Math.min(Math.round(received * mix.directOfOnline), received - onlineOfOnlineProcedures - onlineOfOtherProcedures),
    onlineOfOtherProcedures,
    requiringDigitization,
    digitized: Math.round(requiringDigitization * mix.digitized),
    onlineWithFee,
    paidOnline: Math.round(onlineWithFee * mix.paidOnline),
    fates: [[otherwise, received - counted.reduce((sum, [, n]) => sum + n, 0)], ...counted],
  };
}

/** Windows of `months` calendar months from `from` to `to`, the first starting at `from`, the last cut at `to`. */
export function calendarWindows(from: string, to: string, months: number): Window[] {
  const windows: Window[] = [];
  for (let start = from; start <= to; ) {
    const [year, month] = [Number(start.slice(0, 4)), Number(start.slice(5, 7))];
    const end = isoDay(Math.round(Date.UTC(year, month - 1 + months, 1) / 86_400_000) - 1);
    windows.push({ from: start, to: end < to ? end : to });
    start = isoDay(day(end) + 1);
  }
  return windows;
}
