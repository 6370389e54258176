// What a sample is built to: its cohorts (the dossiers received in a window, each with a fate:
// resolved or stopped in a window, or still open at the end of the data, perhaps after being
// seen open on an earlier day), its portal events and its span. The reference plan is Đồng
// Hới's: the exact counts that make the warehouse reproduce the figures of the reference report
// (ids from domain/published-figures.md), then a lower, plausible flow through the reform of
// 1 July 2025 to the end of the data. Everything not fixed by the report is a plausible choice.
// The steady plan, for any other register, is in steady.ts.
import { ConfigError } from '../core/errors.js';
import { day, isoDay } from './calendar.js';
import type { Level, Procedure } from './catalogue.js';
import type { SampleUnits, Unit } from './units.js';

export type Window = { from: string; to: string };

export const Q4_2022: Window = { from: '2022-10-01', to: '2022-12-31' };
export const Y2023: Window = { from: '2023-01-01', to: '2023-12-31' };
export const Q1_2024: Window = { from: '2024-01-01', to: '2024-03-31' };
export const DATA_START = Q4_2022.from;
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
/** Open at the end of the report's last quarter, as D14–D15 count it, and finished later. */
const openAtReportEnd = (overdue: boolean, then: Ending): Fate => ({ ...then, openOn: { day: Q1_2024.to, overdue } });

const Q2_2024: Window = { from: '2024-04-01', to: '2024-06-30' };
const Q3_2024: Window = { from: '2024-07-01', to: '2024-09-30' };

/** The cohorts of the reference report: their counts must not change. */
const REPORT_COHORTS: Cohort[] = [
  {
    // Before the report: its open dossiers are the 896 carried into 2023 (D4).
    name: 'received Q4 2022',
    received: Q4_2022,
    city: {
      received: 1250, onlineOfOnlineProcedures: 480, directOfOnlineProcedures: 150, onlineOfOtherProcedures: 40,
      requiringDigitization: 1180, digitized: 520, onlineWithFee: 230, paidOnline: 50,
      fates: [
        [resolved(Q4_2022, 'early_or_on_time'), 570], [resolved(Q4_2022, 'late'), 80], [stopped(Q4_2022), 80],
        [resolved(Y2023, 'early_or_on_time'), 220], [resolved(Y2023, 'late'), 250], [stopped(Y2023), 50],
      ],
    },
    commune: {
      received: 2450, onlineOfOnlineProcedures: 1290, directOfOnlineProcedures: 120, onlineOfOtherProcedures: 40,
      requiringDigitization: 2400, digitized: 1900, onlineWithFee: 590, paidOnline: 120,
      fates: [
        [resolved(Q4_2022, 'early_or_on_time'), 1830], [resolved(Q4_2022, 'late'), 120], [stopped(Q4_2022), 124],
        [resolved(Y2023, 'early_or_on_time'), 176], [resolved(Y2023, 'late'), 150], [stopped(Y2023), 50],
      ],
    },
  },
  {
    // D1–D7: 14,859 received (7,870 online, 6,989 direct); with the 896 carried over, 14,404
    // resolved (12,210 early or on time), 1,255 stopped, 96 open at the end of the year.
    // S1–S3 digitization, O1 online service, P1–P2 online payment.
    name: 'received 2023',
    received: Y2023,
    city: {
      received: 4900, onlineOfOnlineProcedures: 2066, directOfOnlineProcedures: 428, onlineOfOtherProcedures: 204,
      requiringDigitization: 4651, digitized: 2556, onlineWithFee: 1400, paidOnline: 350,
      fates: [
        [resolved(Y2023, 'early_or_on_time'), 3350], [resolved(Y2023, 'late'), 1000], [stopped(Y2023), 480],
        [resolved(Q1_2024, 'early_or_on_time'), 27], [resolved(Q1_2024, 'late'), 38],
        [openAtReportEnd(true, resolved(Q2_2024, 'late')), 4], [openAtReportEnd(true, stopped(Q2_2024)), 1],
      ],
    },
    commune: {
      received: 9959, onlineOfOnlineProcedures: 5500, directOfOnlineProcedures: 250, onlineOfOtherProcedures: 100,
      requiringDigitization: 9795, digitized: 8785, onlineWithFee: 2106, paidOnline: 544,
      fates: [
        [resolved(Y2023, 'early_or_on_time'), 8464], [resolved(Y2023, 'late'), 794], [stopped(Y2023), 675],
        [resolved(Q1_2024, 'early_or_on_time'), 23], [resolved(Q1_2024, 'late'), 2],
        [openAtReportEnd(true, resolved(Q2_2024, 'late')), 1],
      ],
    },
  },
  {
    // D8–D15: 2,313 received (826 direct, 1,487 online) plus 96 carried over; 1,988 resolved
    // (1,889 early or on time); 410 open within the deadline, 11 overdue; none stopped. The 421
    // open at the end of March finish in the quarters after it, most of them resolved.
    // S6 commune digitization, O2–O4 online service.
    name: 'received Q1 2024',
    received: Q1_2024,
    city: {
      received: 983, onlineOfOnlineProcedures: 326, directOfOnlineProcedures: 301, onlineOfOtherProcedures: 10,
      requiringDigitization: 950, digitized: 712, onlineWithFee: 140, paidOnline: 60,
      fates: [
        [resolved(Q1_2024, 'early_or_on_time'), 658], [resolved(Q1_2024, 'late'), 40],
        [openAtReportEnd(false, resolved(Q2_2024, 'early_or_on_time')), 236], [openAtReportEnd(false, resolved(Q2_2024, 'late')), 30],
        [openAtReportEnd(false, stopped(Q2_2024)), 10], [openAtReportEnd(false, resolved(Q3_2024, 'late')), 4],
        [openAtReportEnd(true, resolved(Q2_2024, 'late')), 5],
      ],
    },
    commune: {
      received: 1330, onlineOfOnlineProcedures: 1137, directOfOnlineProcedures: 44, onlineOfOtherProcedures: 14,
      requiringDigitization: 1303, digitized: 1288, onlineWithFee: 420, paidOnline: 170,
      fates: [
        [resolved(Q1_2024, 'early_or_on_time'), 1181], [resolved(Q1_2024, 'late'), 19],
        [openAtReportEnd(false, resolved(Q2_2024, 'early_or_on_time')), 118], [openAtReportEnd(false, resolved(Q2_2024, 'late')), 8],
        [openAtReportEnd(false, stopped(Q2_2024)), 4],
      ],
    },
  },
];

/**
 * Dossiers a month in each quarter after the report, Q2 2024 to the October–November of 2026:
 * fewer than in 2023, so that the tests stay quick.
 */
const LATER_MONTHLY = [410, 390, 430, 360, 420, 370, 400, 350, 410, 420, 440];
const LATER_CITY_SHARE = 0.33;
const LATER_DESK_SHARE = 0.02;
const DAYS_PER_MONTH = 30.44;

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

/**
 * Besides those resolved in the quarter, as a rule: a few late or stopped, some finished in the
 * quarter after; in the last quarter of the data some still open, and from 2026 a few stuck, overdue.
 */
function laterFates(received: Window, next: Window | undefined, lateShare: number): [Fate, number][] {
  const fates: [Fate, number][] = [[resolved(received, 'late'), lateShare], [stopped(received), 0.04]];
  if (next) fates.push([resolved(next, 'early_or_on_time'), 0.05], [resolved(next, 'late'), 0.012], [stopped(next), 0.006]);
  else fates.push([open(false), 0.1], [open(true), 0.01]);
  if (next && received.from >= '2026-01-01') fates.push([open(true), 0.003]);
  return fates;
}

/** A quarter after the report; `t` runs from 0 to 1 across them: more online, more digitized, more paid online. */
function laterCohort(received: Window, next: Window | undefined, monthly: number, t: number): Cohort {
  const total = Math.round((monthly * (day(received.to) - day(received.from) + 1)) / DAYS_PER_MONTH);
  const city = Math.round(total * LATER_CITY_SHARE);
  const inTime = resolved(received, 'early_or_on_time');
  return {
    name: `received ${received.from} to ${received.to}`,
    received,
    deskShare: LATER_DESK_SHARE,
    city: levelPlan(
      city,
      { onlineOfOnline: 0.36 + 0.2 * t, directOfOnline: 0.28 - 0.12 * t, onlineOfOther: 0.01, requiring: 0.96, digitized: 0.8 + 0.15 * t, withFee: 0.3, paidOnline: 0.45 + 0.4 * t },
      inTime,
      laterFates(received, next, 0.06),
    ),
    commune: levelPlan(
      total - city,
      { onlineOfOnline: 0.84 + 0.08 * t, directOfOnline: 0.04 - 0.02 * t, onlineOfOther: 0.01, requiring: 0.97, digitized: 0.97 + 0.02 * t, withFee: 0.3, paidOnline: 0.45 + 0.4 * t },
      inTime,
      laterFates(received, next, 0.03),
    ),
  };
}

const LATER_QUARTERS = calendarWindows(Q2_2024.from, DATA_END, 3);
const LATER_COHORTS = LATER_QUARTERS.map((window, i) => laterCohort(window, LATER_QUARTERS[i + 1], LATER_MONTHLY[i]!, i / (LATER_QUARTERS.length - 1)));

/**
 * A dossier the reform caught half-way (domain/units-2025.md): received at the desk of phường
 * Nam Lý on Friday 20 June 2025 and resolved within its deadline on 10 July 2025 by phường Đồng
 * Hới, which took over Nam Lý's work on 1 July.
 */
const ACROSS_THE_REFORM: Cohort = {
  name: 'received by phường Nam Lý before the reform, resolved after it',
  received: { from: '2025-06-20', to: '2025-06-20' },
  unit: 'DH.NAMLY',
  commune: {
    received: 1, onlineOfOnlineProcedures: 0, directOfOnlineProcedures: 0, onlineOfOtherProcedures: 0,
    requiringDigitization: 1, digitized: 1, onlineWithFee: 0, paidOnline: 0,
    fates: [[resolved({ from: '2025-07-10', to: '2025-07-10' }, 'early_or_on_time'), 1]],
  },
};

/** Where the applicants live: the communes' weights in the city's dossiers. */
const COMMUNE_WEIGHTS: Record<string, number> = {
  'DH.DONGSON': 1.2, 'DH.PHUHAI': 0.7, 'DH.BACLY': 1.5, 'DH.NAMLY': 1.3, 'DH.DONGHAI': 1.0, 'DH.DUCNINHDONG': 1.1,
  'DH.HAITHANH': 0.9, 'DH.BACNGHIA': 1.0, 'DH.DONGPHU': 1.6, 'DH.DUCNINH': 0.9, 'DH.QUANGPHU': 0.6,
  'DH.THUANDUC': 0.7, 'DH.BAONINH': 0.8, 'DH.NGHIANINH': 0.7, 'DH.LOCNINH': 1.0,
};

/** The register's levels at which the report counts the dossiers of city-level and commune-level procedures. */
const REPORT_LEVELS: Record<Level, string> = { city: 'city', commune: 'commune' };

/** Results issued electronically: 2023 stays below 50 % (criterion 7.2.4 scored 0), then the share rises. */
const RESULTS_DIGITIZED: SamplePlan['resultsDigitized'] = [
  { within: Q4_2022, share: 0.35 },
  { within: Y2023, count: 6337 },
  { within: Q1_2024, count: 1392 },
  ...LATER_QUARTERS.map((within, i) => ({ within, share: 0.55 + (0.37 * i) / (LATER_QUARTERS.length - 1) })),
];

/** F1 and F2 of the report (6 PAKN on procedures in 2023, 8,927 survey forms), and modest volumes after it. */
const PORTAL: PortalPlan = {
  fixedRatings: { within: Y2023, count: 8927, deskForms: 727 },
  ratedShare: 0.55,
  feedback: [
    { within: Q4_2022, count: 2 },
    { within: Y2023, count: 6 },
    { within: { from: '2024-01-01', to: '2024-03-20' }, count: 1, unansweredOn: Q1_2024.to },
    ...LATER_QUARTERS.map((within, i) => ({ within, count: 1 + (i % 3) })),
  ],
  accounts: [
    { within: { from: DATA_START, to: Q1_2024.to }, perWorkingDay: [25, 70] },
    { within: { from: Q2_2024.from, to: DATA_END }, perWorkingDay: [4, 12] },
  ],
};

/** Đồng Hới's plan, on a register that holds the units it names: refused, with what is missing, on any other. */
export function referencePlan(units: SampleUnits, catalogue: Procedure[]): SamplePlan {
  const cohorts = [...REPORT_COHORTS, ...LATER_COHORTS, ACROSS_THE_REFORM];
  const problems = referenceProblems(units, catalogue, cohorts);
  if (problems.length > 0) {
    throw new ConfigError(`the reference sample plan is Đồng Hới's, and the unit register ${units.register.file} lacks what it needs:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      action: 'set sample.plan to steady for this deployment (a plain flow of dossiers for its own units), or deployment.register to deployments/dong-hoi.units.yaml',
    });
  }
  const start = day(DATA_START);
  return {
    name: 'reference',
    start: DATA_START,
    end: DATA_END,
    // As the Đồng Hới system writes them (aliases of the register's levels).
    procedureLevels: { city: 'Cấp huyện', commune: 'Cấp xã' },
    cohorts,
    residences: units.all
      .filter((u) => u.level === REPORT_LEVELS.commune && units.isValidOn(u, start))
      .map((unit) => ({ unit, weight: COMMUNE_WEIGHTS[unit.code] ?? 1 })),
    resultsDigitized: RESULTS_DIGITIZED,
    abandoned: [
      { within: { from: DATA_START, to: '2024-03-30' }, count: 180 },
      { within: { from: Q2_2024.from, to: DATA_END }, count: 190 },
    ],
    portal: PORTAL,
    budget: true,
  };
}

/**
 * The report's levels; the catalogue's agencies at the city level and communes at the commune
 * level through the report; and every one of them, and every unit a cohort names, valid (or
 * succeeded by units valid) on each day dossiers are received.
 */
function referenceProblems(units: SampleUnits, catalogue: Procedure[], cohorts: Cohort[]): string[] {
  const problems: string[] = [];
  const levels = new Set(units.register.levels.map((l) => l.code));
  for (const level of Object.values(REPORT_LEVELS)) if (!levels.has(level)) problems.push(`level "${level}": not one of the register's levels`);
  const [first, last] = [day(DATA_START), day(Q1_2024.to)];
  const during = `valid from ${DATA_START} to ${Q1_2024.to}`;
  const needed = new Map<string, string>();
  for (const p of catalogue) if (p.inForce && p.level === 'city' && p.agency) needed.set(p.agency, REPORT_LEVELS.city);
  for (const code of Object.keys(COMMUNE_WEIGHTS)) needed.set(code, REPORT_LEVELS.commune);
  for (const [code, level] of needed) {
    const unit = units.get(code);
    if (!unit) problems.push(`${code}: not a unit of the register`);
    else if (unit.level !== level || !units.isValidOn(unit, first) || !units.isValidOn(unit, last)) problems.push(`${code}: not a unit of level "${level}" ${during}`);
  }
  for (const c of cohorts) if (c.unit !== undefined && !units.get(c.unit)) problems.push(`${c.unit} (${c.name}): not a unit of the register`);
  if (problems.length > 0) return problems;
  for (const c of cohorts) {
    for (const code of c.unit !== undefined ? [c.unit] : needed.keys()) {
      for (const d of [day(c.received.from), day(c.received.to)]) {
        for (const u of units.strandedOn(units.get(code)!, d)) problems.push(`${u.code}: not valid on ${isoDay(d)}, and no successor of it is (${c.name})`);
      }
    }
  }
  return [...new Set(problems)];
}
