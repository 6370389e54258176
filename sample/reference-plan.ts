// Đồng Hới's plan: the exact counts that make the warehouse reproduce the reference report's
// figures (ids from domain/published-figures.md), then a lower, plausible flow through the reform
// of 1 July 2025 to the end of the data. Whatever the report does not fix is a plausible choice.
import { ConfigError } from '../core/errors.js';
import { day, isoDay } from './calendar.js';
import type { Level, Procedure } from './catalogue.js';
import { calendarWindows, DATA_END, levelPlan, open, resolved, stopped, type Cohort, type Ending, type Fate, type PortalPlan, type SamplePlan, type Window } from './plan.js';
import type { SampleUnits } from './units.js';

const Q4_2022: Window = { from: '2022-10-01', to: '2022-12-31' };
const Y2023: Window = { from: '2023-01-01', to: '2023-12-31' };
const Q1_2024: Window = { from: '2024-01-01', to: '2024-03-31' };
const DATA_START = Q4_2022.from;

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
