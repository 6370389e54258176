// The exact counts the sample is built to, so that the warehouse reproduces the figures of the
// reference report (ids from domain/published-figures.md). Each cohort is the dossiers received
// in a window; each gets a fate (resolved or stopped in a window, or still open at the end of
// the data). Everything not fixed by the report is a plausible choice.

export type Window = { from: string; to: string };

export const Q4_2022: Window = { from: '2022-10-01', to: '2022-12-31' };
export const Y2023: Window = { from: '2023-01-01', to: '2023-12-31' };
export const Q1_2024: Window = { from: '2024-01-01', to: '2024-03-31' };
export const DATA_START = Q4_2022.from;
export const DATA_END = Q1_2024.to;

export type Fate =
  | { kind: 'resolved'; within: Window; timeliness: 'early_or_on_time' | 'late' }
  | { kind: 'stopped'; within: Window }
  /** Still open on DATA_END; overdue when due before it. */
  | { kind: 'open'; overdue: boolean };

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

export type Cohort = { name: string; received: Window; city: LevelPlan; commune: LevelPlan };

const resolved = (within: Window, timeliness: 'early_or_on_time' | 'late'): Fate => ({ kind: 'resolved', within, timeliness });
const stopped = (within: Window): Fate => ({ kind: 'stopped', within });
const open = (overdue: boolean): Fate => ({ kind: 'open', overdue });

export const COHORTS: Cohort[] = [
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
        [resolved(Q1_2024, 'early_or_on_time'), 27], [resolved(Q1_2024, 'late'), 38], [open(true), 5],
      ],
    },
    commune: {
      received: 9959, onlineOfOnlineProcedures: 5500, directOfOnlineProcedures: 250, onlineOfOtherProcedures: 100,
      requiringDigitization: 9795, digitized: 8785, onlineWithFee: 2106, paidOnline: 544,
      fates: [
        [resolved(Y2023, 'early_or_on_time'), 8464], [resolved(Y2023, 'late'), 794], [stopped(Y2023), 675],
        [resolved(Q1_2024, 'early_or_on_time'), 23], [resolved(Q1_2024, 'late'), 2], [open(true), 1],
      ],
    },
  },
  {
    // D8–D15: 2,313 received (826 direct, 1,487 online) plus 96 carried over; 1,988 resolved
    // (1,889 early or on time); 410 open within the deadline, 11 overdue; none stopped.
    // S6 commune digitization, O2–O4 online service.
    name: 'received Q1 2024',
    received: Q1_2024,
    city: {
      received: 983, onlineOfOnlineProcedures: 326, directOfOnlineProcedures: 301, onlineOfOtherProcedures: 10,
      requiringDigitization: 950, digitized: 712, onlineWithFee: 140, paidOnline: 60,
      fates: [[resolved(Q1_2024, 'early_or_on_time'), 658], [resolved(Q1_2024, 'late'), 40], [open(false), 280], [open(true), 5]],
    },
    commune: {
      received: 1330, onlineOfOnlineProcedures: 1137, directOfOnlineProcedures: 44, onlineOfOtherProcedures: 14,
      requiringDigitization: 1303, digitized: 1288, onlineWithFee: 420, paidOnline: 170,
      fates: [[resolved(Q1_2024, 'early_or_on_time'), 1181], [resolved(Q1_2024, 'late'), 19], [open(false), 130]],
    },
  },
];

/** Results issued electronically among the dossiers resolved in each window (2023 stays below 50 %: criterion 7.2.4 scored 0). */
export const RESULTS_DIGITIZED: { within: Window; count?: number; share?: number }[] = [
  { within: Q4_2022, share: 0.35 },
  { within: Y2023, count: 6337 },
  { within: Q1_2024, count: 1392 },
];

/** Online registrations never received (status 1): not counted anywhere, as in the real system. */
export const ABANDONED_REGISTRATIONS = 180;
