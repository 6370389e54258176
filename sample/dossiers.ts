// Simulates the dossiers of the sample: who applied for what, where, by which channel. Counts
// follow the plan exactly; the dates come from timeline.ts. Units are those of the register
// valid on the day: a dossier keeps the unit that received it, while the unit handling it
// changes when that one ends (its successor takes its work over).
import { day, isoDay, workingDaysBetween, type Day } from './calendar.js';
import type { Level, Procedure } from './catalogue.js';
import { makeApplicant, type Applicant } from './people.js';
import type { Fate, LevelPlan, SamplePlan, Window } from './plan.js';
import type { Random } from './random.js';
import { checkpointsOf, dayOf, drawReturn, drawTimeline, endOf, inDays, MINUTES_PER_DAY, type Checkpoint, type Stamp, type Supplement } from './timeline.js';
import type { SampleUnits, Unit } from './units.js';

/** From `from` on, `unit` does the dossier's work. */
export type Handover = { from: Stamp; unit: Unit };

export type Dossier = {
  id: string;
  /** The unit that received it, valid that day; the exports go on naming it after it ended. */
  unit: Unit;
  /** Who handles it (Đơn vị xử lý): the receiving unit or, at the desk, the procedure's agency; then whoever takes over when that one ends. */
  handlers: Handover[];
  /** The other agency of a liên thông dossier, which exports its own copy, and whoever takes over from it. */
  partners: Handover[] | undefined;
  procedure: Procedure;
  channel: 1 | 2 | 3;
  applicant: Applicant;
  submittedAt: Stamp | undefined;
  receivedAt: Stamp | undefined;
  dueBefore: Day | undefined;
  supplement: Supplement | undefined;
  finishedAt: Stamp | undefined;
  returnedAt: Stamp | undefined;
  stoppedAt: Stamp | undefined;
  hasDigitized: boolean | null;
  resultDigitized: boolean;
  feeVnd: number;
  paidOnline: boolean;
  /** Status changes in time order. */
  checkpoints: Checkpoint[];
};

const LEVELS: Level[] = ['city', 'commune'];
const LIEN_THONG_SHARE = 0.04;
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
  unit: Unit | undefined;
  deskShare: number;
};

/** The unit a dossier is handled by at a moment. */
export function unitAt(handovers: Handover[], at: Stamp): Unit {
  let unit = handovers[0]!.unit;
  for (const h of handovers) if (h.from <= at) unit = h.unit;
  return unit;
}

export function simulateDossiers(random: Random, catalogue: Procedure[], units: SampleUnits, plan: SamplePlan): Dossier[] {
  const world = new World(random, catalogue, units, plan);
  const dossiers: Dossier[] = [];
  for (const cohort of plan.cohorts) {
    const unit = cohort.unit === undefined ? undefined : units.get(cohort.unit)!;
    for (const level of LEVELS) {
      const levelPlan = cohort[level];
      if (!levelPlan) continue;
      for (const draft of draftCohort(random, level, levelPlan, unit, cohort.deskShare ?? 0)) {
        dossiers.push(world.place(draft, cohort.received));
      }
    }
  }
  markResultsDigitized(random, dossiers, plan.resultsDigitized);
  for (const { within, count } of plan.abandoned) {
    for (let i = 0; i < count; i++) dossiers.push(...world.abandoned(random.int(day(within.from), day(within.to))));
  }
  // Two registrations on the last day: the data reaches the end of its span.
  dossiers.push(...world.abandoned(day(plan.end)), ...world.abandoned(day(plan.end)));
  return dossiers;
}

/** The dossiers of one level of a cohort, with every attribute the plan counts set exactly. */
function draftCohort(random: Random, level: Level, plan: LevelPlan, unit: Unit | undefined, deskShare: number): Draft[] {
  const drafts: Draft[] = [];
  for (const [fate, count] of plan.fates) {
    for (let i = 0; i < count; i++) {
      drafts.push({ level, fate, online: false, onlineProcedure: false, fee: false, paidOnline: false, hasDigitized: null, unit, deskShare });
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

function markResultsDigitized(random: Random, dossiers: Dossier[], rules: SamplePlan['resultsDigitized']): void {
  for (const rule of rules) {
    const [from, to] = [day(rule.within.from), day(rule.within.to)];
    const resolvedIn = dossiers.filter((d) => d.finishedAt !== undefined && inDays(d.finishedAt, from, to));
    const count = rule.count ?? Math.round(resolvedIn.length * (rule.share ?? 0));
    random.exactly(resolvedIn, count, (d) => (d.resultDigitized = true));
  }
}

/** Who receives a dossier, who handles it, and where its applicant lives. */
type Reception = { unit: Unit; handler: Unit; home: Unit };

class World {
  private readonly pools = new Map<string, Procedure[]>();
  private readonly sequence = new Map<string, number>();
  private readonly workingDays = new Map<string, Day[]>();
  private readonly start: Day;
  private readonly endDay: Day;
  private readonly endStamp: Stamp;

  constructor(
    private readonly random: Random,
    private readonly catalogue: Procedure[],
    private readonly units: SampleUnits,
    private readonly plan: SamplePlan,
  ) {
    this.start = day(plan.start);
    this.endDay = day(plan.end);
    this.endStamp = endOf(this.endDay);
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

  private draw = () => this.random.next();

  /** The units of the catalogue level `level` receiving on day d: the register's last level takes the commune-level procedures. */
  private receiversOf(level: Level, d: Day): Unit[] {
    return this.units.receiversOn(d).filter((u) => (u.level === this.units.lastLevel) === (level === 'commune'));
  }

  /** An applicant of a commune of the plan's, or of any commune (unit of the last level) of the day. */
  private homeOn(d: Day): Unit | undefined {
    const { residences } = this.plan;
    if (residences.length > 0) return this.units.currentOn(this.random.weighted(residences, (r) => r.weight).unit, d, this.draw);
    const communes = this.receiversOf('commune', d);
    return communes.length > 0 ? this.random.pick(communes) : undefined;
  }

  /**
   * The cohort's own unit; or the unit valid on day d that does the work of the procedure's
   * agency (a part of a split by its share; a ward that took it over receives it as a commune
   * does), now and then at the desk of that unit's level; or the applicant's commune.
   */
  private receive(draft: Pick<Draft, 'unit' | 'deskShare'>, procedure: Procedure, d: Day): Reception | undefined {
    if (draft.unit) return this.receivedBy(draft.unit, d);
    if (procedure.level === 'commune') {
      const home = this.homeOn(d);
      return home && { unit: home, handler: home, home };
    }
    const agency = procedure.agency === undefined ? undefined : this.units.get(procedure.agency);
    const handler = agency && this.units.currentOn(agency, d, this.draw);
    if (!handler || !this.units.isValidOn(handler, d)) {
      const unit = this.pickOrNone(this.receiversOf('city', d));
      return unit && this.receivedBy(unit, d);
    }
    if (handler.level === this.units.lastLevel) return this.receivedBy(handler, d);
    const desk = draft.deskShare > 0 && this.random.chance(draft.deskShare) ? this.units.deskOn(d, handler.level) : undefined;
    return { unit: desk ?? handler, handler, home: this.homeOn(d) ?? handler };
  }

  /** Received and handled by `unit`; the applicant lives in it when it is a commune. */
  private receivedBy(unit: Unit, d: Day): Reception {
    return { unit, handler: unit, home: unit.level === this.units.lastLevel ? unit : (this.homeOn(d) ?? unit) };
  }

  private pickOrNone(units: Unit[]): Unit | undefined {
    return units.length > 0 ? this.random.pick(units) : undefined;
  }

  private newId(unit: Unit, d: Day): string {
    const date = isoDay(d).slice(2).replaceAll('-', '');
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
    const timeline = drawTimeline(random, draft.fate, procedure.days, this.days(window), this.endDay);
    if (!timeline) return undefined;
    const { received, receivedAt, finishedAt, stoppedAt } = timeline;
    const reception = this.receive(draft, procedure, received);
    if (!reception) return undefined;
    const { unit, handler, home } = reception;
    const online = draft.online;
    // Submitted online to the unit that received it: not before the data, nor before that unit existed.
    const submittedAt = online ? Math.max(receivedAt - random.int(10, 3 * MINUTES_PER_DAY), Math.max(this.start, unit.firstDay) * MINUTES_PER_DAY) : undefined;
    const returnedAt = drawReturn(random, finishedAt);
    const lastSeen = Math.min(Math.max(returnedAt ?? 0, finishedAt ?? stoppedAt ?? this.endStamp), this.endStamp);
    const partner = procedure.level === 'city' && random.chance(LIEN_THONG_SHARE) ? this.partnerOf(handler, received) : undefined;

    const dossier: Dossier = {
      id: this.newId(unit, received),
      unit,
      handlers: this.handovers(handler, receivedAt, lastSeen),
      partners: partner && this.handovers(partner, receivedAt, lastSeen),
      procedure,
      channel: online ? 2 : random.chance(POSTAL_SHARE) ? 3 : 1,
      applicant: makeApplicant(random, this.units.locality(home)),
      submittedAt,
      receivedAt,
      dueBefore: timeline.dueBefore,
      supplement: timeline.supplement,
      finishedAt,
      returnedAt: returnedAt !== undefined && returnedAt <= this.endStamp ? returnedAt : undefined,
      stoppedAt,
      hasDigitized: draft.hasDigitized,
      resultDigitized: false,
      feeVnd: draft.fee ? procedure.feeVnd : 0,
      paidOnline: draft.paidOnline,
      checkpoints: [],
    };
    dossier.checkpoints = checkpointsOf({ ...timeline, submittedAt, returnedAt: dossier.returnedAt }, random, this.endStamp);
    return dossier;
  }

  /** `unit` from `from`, then, each time the one in charge ends before `until`, the unit valid the next day that takes over its work. */
  private handovers(unit: Unit, from: Stamp, until: Stamp): Handover[] {
    const handovers = [{ from, unit }];
    for (let current = unit; current.lastDay < dayOf(until); ) {
      const next = this.units.currentOn(current, current.lastDay + 1, this.draw);
      if (next === current) break;
      handovers.push({ from: (current.lastDay + 1) * MINUTES_PER_DAY, unit: next });
      current = next;
    }
    return handovers;
  }

  /** An online registration that was never received (status 1); none on a day no unit receives. */
  abandoned(on: Day): Dossier[] {
    const random = this.random;
    const levels = LEVELS.filter((l) => this.plan.procedureLevels[l] !== undefined);
    const level = levels.length > 1 ? (random.chance(0.3) ? 'city' : 'commune') : levels[0]!;
    const procedure = random.weighted(this.pool(level, true, random.chance(0.4)), (p) => p.popularity);
    const reception = this.receive({ unit: undefined, deskShare: 0 }, procedure, on);
    if (!reception) return [];
    const submittedAt = on * MINUTES_PER_DAY + random.int(0, MINUTES_PER_DAY - 1);
    return [{
      id: this.newId(reception.unit, on), unit: reception.unit, handlers: [{ from: submittedAt, unit: reception.handler }], partners: undefined,
      procedure, channel: 2, applicant: makeApplicant(random, this.units.locality(reception.home)),
      submittedAt, receivedAt: undefined, dueBefore: undefined, supplement: undefined,
      finishedAt: undefined, returnedAt: undefined, stoppedAt: undefined,
      hasDigitized: null, resultDigitized: false, feeVnd: 0, paidOnline: false,
      checkpoints: [{ at: submittedAt, status: 1 }],
    }];
  }

  /** Another unit of the handler's level, receiving that day. */
  private partnerOf(handler: Unit, d: Day): Unit | undefined {
    return this.pickOrNone(this.units.receiversOn(d).filter((u) => u.level === handler.level && u !== handler));
  }
}
