// Simulates the dossiers of the sample: who applied for what, where, by which channel, and
// the moments at which each dossier changed status. Counts follow plan.ts exactly; dates are
// drawn at random within the constraints of each dossier's fate (a dossier "resolved late in
// 2023" gets a due date and a finishing date that make it so).
import { addWorkingDays, day, isWorkingDay, workingDaysBetween, type Day } from './calendar.js';
import type { Level, Procedure } from './catalogue.js';
import { makeApplicant, type Applicant } from './people.js';
import { ABANDONED_REGISTRATIONS, COHORTS, DATA_END, DATA_START, RESULTS_DIGITIZED, type Fate, type LevelPlan, type Window } from './plan.js';
import type { Random } from './random.js';

export type Unit = { code: string; name: string; level: string; aliases: string[]; index: number };

/** Minutes since 1970-01-01 00:00, Vietnam local time. */
export type Stamp = number;
export type Status = 1 | 2 | 3 | 4 | 5 | 7 | 8 | 9 | 10;

export type Dossier = {
  id: string;
  level: Level;
  unit: Unit;
  /** The other agency of a liên thông dossier, which exports its own copy. */
  handlingUnit: Unit | undefined;
  procedure: Procedure;
  channel: 1 | 2 | 3;
  applicant: Applicant;
  submittedAt: Stamp | undefined;
  receivedAt: Stamp | undefined;
  dueBefore: Day | undefined;
  /** Supplement request (status 5) that moved the due date. */
  supplement: { requestedAt: Stamp; resumedAt: Stamp; dueAfter: Day } | undefined;
  finishedAt: Stamp | undefined;
  returnedAt: Stamp | undefined;
  stoppedAt: Stamp | undefined;
  hasDigitized: boolean | null;
  resultDigitized: boolean;
  feeVnd: number;
  paidOnline: boolean;
  /** Status changes in time order. */
  checkpoints: { at: Stamp; status: Status }[];
};

const MINUTES_PER_DAY = 1440;
const END_STAMP = (day(DATA_END) + 1) * MINUTES_PER_DAY - 1;
const COMMUNE_WEIGHTS: Record<string, number> = {
  'DH.DONGSON': 1.2, 'DH.PHUHAI': 0.7, 'DH.BACLY': 1.5, 'DH.NAMLY': 1.3, 'DH.DONGHAI': 1.0, 'DH.DUCNINHDONG': 1.1,
  'DH.HAITHANH': 0.9, 'DH.BACNGHIA': 1.0, 'DH.DONGPHU': 1.6, 'DH.DUCNINH': 0.9, 'DH.QUANGPHU': 0.6,
  'DH.THUANDUC': 0.7, 'DH.BAONINH': 0.8, 'DH.NGHIANINH': 0.7, 'DH.LOCNINH': 1.0,
};
const LIEN_THONG_SHARE = 0.04;
const SUPPLEMENT_SHARE = 0.07;
const RETURNED_SHARE = 0.85;
const POSTAL_SHARE = 0.03;
const DIRECT_FEE_SHARE = 0.45;

type Draft = {
  level: Level;
  fate: Fate;
  online: boolean;
  onlineProcedure: boolean;
  fee: boolean;
  paidOnline: boolean;
  hasDigitized: boolean | null;
};

export function simulateDossiers(random: Random, catalogue: Procedure[], units: Unit[]): Dossier[] {
  const world = new World(random, catalogue, units);
  const dossiers: Dossier[] = [];
  for (const cohort of COHORTS) {
    for (const level of ['city', 'commune'] as const) {
      for (const draft of draftCohort(random, level, cohort[level])) {
        dossiers.push(world.place(draft, cohort.received));
      }
    }
  }
  markResultsDigitized(random, dossiers);
  for (let i = 0; i < ABANDONED_REGISTRATIONS; i++) dossiers.push(world.abandoned());
  // Two registrations on the last day, a Sunday: the data reaches the end of the quarter.
  dossiers.push(world.abandoned(day(DATA_END)), world.abandoned(day(DATA_END)));
  return dossiers;
}

/** The dossiers of one level of a cohort, with every attribute the plan counts set exactly. */
function draftCohort(random: Random, level: Level, plan: LevelPlan): Draft[] {
  const drafts: Draft[] = [];
  for (const [fate, count] of plan.fates) {
    for (let i = 0; i < count; i++) {
      drafts.push({ level, fate, online: false, onlineProcedure: false, fee: false, paidOnline: false, hasDigitized: null });
    }
  }
  if (drafts.length !== plan.received) throw new Error(`plan: fates of ${level} add up to ${drafts.length}, not ${plan.received}`);
  random.shuffle(drafts);

  let next = 0;
  const take = (n: number, set: (d: Draft) => void) => {
    for (const d of drafts.slice(next, next + n)) set(d);
    next += n;
  };
  take(plan.onlineOfOnlineProcedures, (d) => Object.assign(d, { online: true, onlineProcedure: true }));
  take(plan.directOfOnlineProcedures, (d) => Object.assign(d, { online: false, onlineProcedure: true }));
  take(plan.onlineOfOtherProcedures, (d) => Object.assign(d, { online: true, onlineProcedure: false }));

  random.exactly(drafts, plan.requiringDigitization, (d) => (d.hasDigitized = false));
  random.exactly(drafts.filter((d) => d.hasDigitized === false), plan.digitized, (d) => (d.hasDigitized = true));

  const online = drafts.filter((d) => d.online);
  random.exactly(online, plan.onlineWithFee, (d) => (d.fee = true));
  random.exactly(online.filter((d) => d.fee), plan.paidOnline, (d) => (d.paidOnline = true));
  for (const d of drafts) if (!d.online) d.fee = random.chance(DIRECT_FEE_SHARE);
  return drafts;
}

function markResultsDigitized(random: Random, dossiers: Dossier[]): void {
  for (const rule of RESULTS_DIGITIZED) {
    const [from, to] = [day(rule.within.from), day(rule.within.to)];
    const resolvedIn = dossiers.filter((d) => d.finishedAt !== undefined && inDays(d.finishedAt, from, to));
    const count = rule.count ?? Math.round(resolvedIn.length * (rule.share ?? 0));
    random.exactly(resolvedIn, count, (d) => (d.resultDigitized = true));
  }
}

function inDays(stamp: Stamp, from: Day, to: Day): boolean {
  const d = Math.floor(stamp / MINUTES_PER_DAY);
  return d >= from && d <= to;
}

class World {
  private readonly pools = new Map<string, Procedure[]>();
  private readonly communes: Unit[];
  private readonly agencies: Map<string, Unit>;
  private readonly sequence = new Map<string, number>();
  private readonly workingDays = new Map<string, Day[]>();

  constructor(
    private readonly random: Random,
    private readonly catalogue: Procedure[],
    units: Unit[],
  ) {
    this.communes = units.filter((u) => u.level === 'commune');
    this.agencies = new Map(units.filter((u) => u.level === 'city').map((u) => [u.code, u]));
  }

  /** Procedures in force of a level, offered online or not, with or without a fee. */
  private pool(level: Level, online: boolean, fee: boolean): Procedure[] {
    const key = `${level}/${online}/${fee}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = this.catalogue.filter((p) => p.inForce && p.level === level && p.onlineLevel > 2 === online && p.feeVnd > 0 === fee);
      if (pool.length === 0) throw new Error(`catalogue: no procedure for ${key}`);
      this.pools.set(key, pool);
    }
    return pool;
  }

  private days(window: Window): Day[] {
    const key = `${window.from}/${window.to}`;
    let days = this.workingDays.get(key);
    if (!days) {
      days = workingDaysBetween(day(window.from), day(window.to));
      this.workingDays.set(key, days);
    }
    return days;
  }

  private unitFor(procedure: Procedure): Unit {
    if (procedure.level === 'city') return this.agencies.get(procedure.agency!)!;
    return this.random.weighted(this.communes, (u) => COMMUNE_WEIGHTS[u.code] ?? 1);
  }

  private newId(unit: Unit, d: Day): string {
    const date = new Date(d * 86_400_000).toISOString().slice(2, 10).replaceAll('-', '');
    const key = `${unit.code}/${date}`;
    const n = (this.sequence.get(key) ?? 0) + 1;
    this.sequence.set(key, n);
    return `H15.${String(unit.index).padStart(2, '0')}-${date}-${String(n).padStart(4, '0')}`;
  }

  place(draft: Draft, window: Window): Dossier {
    const random = this.random;
    let procedure = random.weighted(this.pool(draft.level, draft.onlineProcedure, draft.fee), (p) => p.popularity);
    for (let attempt = 0; attempt < 2000; attempt++) {
      if (attempt > 0 && attempt % 4 === 0) {
        procedure = random.weighted(this.pool(draft.level, draft.onlineProcedure, draft.fee), (p) => p.popularity);
      }
      const dossier = this.tryPlace(draft, window, procedure);
      if (dossier) return dossier;
    }
    throw new Error(`sample: cannot place a ${draft.level} dossier with fate ${JSON.stringify(draft.fate)} received in ${window.from}…${window.to}`);
  }

  private tryPlace(draft: Draft, window: Window, procedure: Procedure): Dossier | undefined {
    const random = this.random;
    const receptionDays = this.days(window);
    // Dossiers still open at the end were mostly received near it.
    const r = draft.fate.kind === 'open' && !draft.fate.overdue ? random.pick(receptionDays.slice(-45)) : random.pick(receptionDays);
    const receivedAt = r * MINUTES_PER_DAY + random.int(450, 990);
    const dueBefore = addWorkingDays(r, procedure.days);
    let due = dueBefore;
    let supplement: Dossier['supplement'];
    if (procedure.days >= 3 && random.chance(SUPPLEMENT_SHARE)) {
      const extension = random.int(3, 10);
      const requested = addWorkingDays(r, random.int(1, 2));
      const resumed = addWorkingDays(requested, random.int(1, extension));
      due = addWorkingDays(dueBefore, extension);
      supplement = {
        requestedAt: requested * MINUTES_PER_DAY + random.int(480, 1000),
        resumedAt: resumed * MINUTES_PER_DAY + random.int(480, 1000),
        dueAfter: due,
      };
      if (supplement.resumedAt > END_STAMP) return undefined;
    }
    const busyUntil = supplement ? supplement.resumedAt : receivedAt;

    let finishedAt: Stamp | undefined;
    let stoppedAt: Stamp | undefined;
    let stopStatus: 3 | 7 | 8 | undefined;
    const fate = draft.fate;
    if (fate.kind === 'resolved') {
      const [a, b] = [day(fate.within.from), day(fate.within.to)];
      const first = Math.max(Math.floor(busyUntil / MINUTES_PER_DAY), a);
      let f: Day | undefined;
      if (fate.timeliness === 'late') {
        f = skewedEarly(random, workingDaysBetween(Math.max(due + 1, first), b));
      } else {
        const earlyDays = workingDaysBetween(first, Math.min(due - 1, b));
        const early = earlyDays.length > 0 ? random.pick(earlyDays) : undefined;
        const onTime = due >= first && due <= b ? due : undefined;
        f = random.chance(0.85) ? (early ?? onTime) : (onTime ?? early);
      }
      if (f === undefined) return undefined;
      finishedAt = this.momentAfter(f, busyUntil);
    } else if (fate.kind === 'stopped') {
      const [a, b] = [day(fate.within.from), day(fate.within.to)];
      stopStatus = random.weighted([7, 8, 3] as const, (s) => (s === 7 ? 0.5 : s === 8 ? 0.35 : 0.15));
      if (stopStatus === 3) {
        // Refused at the desk: the day it came, before any supplement.
        if (r < a || r > b) stopStatus = 7;
        else {
          supplement = undefined;
          stoppedAt = receivedAt + random.int(5, 60);
        }
      }
      if (stoppedAt === undefined) {
        const x = skewedEarly(random, workingDaysBetween(Math.max(Math.floor(busyUntil / MINUTES_PER_DAY), a), b));
        if (x === undefined) return undefined;
        stoppedAt = this.momentAfter(x, busyUntil);
      }
    } else {
      const endDay = day(DATA_END);
      if (fate.overdue ? due >= endDay : due < endDay) return undefined;
    }

    const unit = this.unitFor(procedure);
    const online = draft.online;
    const submittedAt = online ? Math.max(receivedAt - random.int(10, 3 * MINUTES_PER_DAY), day(DATA_START) * MINUTES_PER_DAY) : undefined;
    const returned =
      finishedAt !== undefined && random.chance(RETURNED_SHARE)
        ? addWorkingDays(Math.floor(finishedAt / MINUTES_PER_DAY), random.int(0, 3))
        : undefined;
    const returnedAt = returned !== undefined ? this.momentAfter(returned, finishedAt!) : undefined;

    const dossier: Dossier = {
      id: this.newId(unit, r),
      level: draft.level,
      unit,
      handlingUnit: draft.level === 'city' && random.chance(LIEN_THONG_SHARE) ? this.otherAgency(unit) : undefined,
      procedure,
      channel: online ? 2 : random.chance(POSTAL_SHARE) ? 3 : 1,
      applicant: makeApplicant(random, placeOf(unit, random, this.communes)),
      submittedAt,
      receivedAt,
      dueBefore,
      supplement,
      finishedAt,
      returnedAt: returnedAt !== undefined && returnedAt <= END_STAMP ? returnedAt : undefined,
      stoppedAt,
      hasDigitized: draft.hasDigitized,
      resultDigitized: false,
      feeVnd: draft.fee ? procedure.feeVnd : 0,
      paidOnline: draft.paidOnline,
      checkpoints: [],
    };
    dossier.checkpoints = checkpointsOf(dossier, stopStatus, random);
    return dossier;
  }

  /** An online registration that was never received (status 1). */
  abandoned(on?: Day): Dossier {
    const random = this.random;
    const level = random.chance(0.3) ? 'city' : 'commune';
    const procedure = random.weighted(this.pool(level, true, random.chance(0.4)), (p) => p.popularity);
    const unit = this.unitFor(procedure);
    const d = on ?? random.int(day(DATA_START), day(DATA_END) - 1);
    const submittedAt = d * MINUTES_PER_DAY + random.int(0, MINUTES_PER_DAY - 1);
    return {
      id: this.newId(unit, d), level, unit, handlingUnit: undefined, procedure, channel: 2,
      applicant: makeApplicant(random, placeOf(unit, random, this.communes)),
      submittedAt, receivedAt: undefined, dueBefore: undefined, supplement: undefined,
      finishedAt: undefined, returnedAt: undefined, stoppedAt: undefined,
      hasDigitized: null, resultDigitized: false, feeVnd: 0, paidOnline: false,
      checkpoints: [{ at: submittedAt, status: 1 }],
    };
  }

  private otherAgency(unit: Unit): Unit {
    return this.random.pick([...this.agencies.values()].filter((u) => u.code !== unit.code));
  }

  /** A time on working day d, after `after` when d is its day. */
  private momentAfter(d: Day, after: Stamp): Stamp {
    const start = d * MINUTES_PER_DAY;
    const earliest = Math.max(start + 450, after + 5);
    return Math.min(earliest + this.random.int(0, 480), Math.max(earliest, start + 1050));
  }
}

/** A day from the list, more often one of the first ones (lateness and stops come soon rather than late). */
function skewedEarly(random: Random, days: Day[]): Day | undefined {
  if (days.length === 0) return undefined;
  return days[Math.floor(random.next() ** 3 * days.length)];
}

function placeOf(unit: Unit, random: Random, communes: Unit[]): string {
  const commune = unit.level === 'commune' ? unit : random.pick(communes);
  return commune.name.replace(/^UBND /, '');
}

function checkpointsOf(d: Dossier, stopStatus: 3 | 7 | 8 | undefined, random: Random): Dossier['checkpoints'] {
  const points: Dossier['checkpoints'] = [];
  if (d.submittedAt !== undefined) points.push({ at: d.submittedAt, status: 1 });
  const received = d.receivedAt!;
  points.push({ at: received, status: 2 });
  const closedAt = d.finishedAt ?? d.stoppedAt ?? END_STAMP + 1;
  // Assigned to a department the next working day, if it is still open then.
  let next = Math.floor(received / MINUTES_PER_DAY) + 1;
  while (!isWorkingDay(next)) next++;
  const processing = next * MINUTES_PER_DAY + random.int(450, 700);
  if (processing < closedAt && processing <= END_STAMP && (!d.supplement || processing < d.supplement.requestedAt)) {
    points.push({ at: processing, status: 4 });
  }
  if (d.supplement) {
    points.push({ at: d.supplement.requestedAt, status: 5 }, { at: d.supplement.resumedAt, status: 4 });
  }
  if (d.finishedAt !== undefined) points.push({ at: d.finishedAt, status: 9 });
  if (d.returnedAt !== undefined) points.push({ at: d.returnedAt, status: 10 });
  if (d.stoppedAt !== undefined) points.push({ at: d.stoppedAt, status: stopStatus! });
  return points.sort((a, b) => a.at - b.at);
}
