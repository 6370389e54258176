// A dossier's dates, drawn at random within the constraints of its fate (a dossier "resolved late
// in 2023" gets a due date and a finishing date that make it so), and the status changes they
// make. Apart from its placement (dossiers.ts): the dates constrain each other, not the units.
import { addWorkingDays, day, isWorkingDay, workingDaysBetween, type Day } from './calendar.js';
import type { Ending, Fate } from './plan.js';
import type { Random } from './random.js';

/** Minutes since 1970-01-01 00:00, Vietnam local time. */
export type Stamp = number;
export type Status = 1 | 2 | 3 | 4 | 5 | 7 | 8 | 9 | 10;
export type Checkpoint = { at: Stamp; status: Status };

/** Supplement request (status 5) that moved the due date. */
export type Supplement = { requestedAt: Stamp; resumedAt: Stamp; dueAfter: Day };

/** The dates of a received dossier, as its fate allows them; `received` is the day of receivedAt. */
export type Timeline = {
  received: Day;
  receivedAt: Stamp;
  dueBefore: Day;
  supplement: Supplement | undefined;
  finishedAt: Stamp | undefined;
  stoppedAt: Stamp | undefined;
  stopStatus: 3 | 7 | 8 | undefined;
};

export const MINUTES_PER_DAY = 1440;
const SUPPLEMENT_SHARE = 0.07;
const RETURNED_SHARE = 0.85;
/** Dossiers still open at the end of a window within their deadline were received in its last working days. */
const RECENT_DAYS = 45;

export function dayOf(stamp: Stamp): Day {
  return Math.floor(stamp / MINUTES_PER_DAY);
}

/** The last minute of a day. */
export function endOf(d: Day): Stamp {
  return (d + 1) * MINUTES_PER_DAY - 1;
}

export function inDays(stamp: Stamp, from: Day, to: Day): boolean {
  const d = dayOf(stamp);
  return d >= from && d <= to;
}

/** The dates of a dossier received on one of `receptionDays`, or undefined when these draws cannot meet its fate by `end`. */
export function drawTimeline(random: Random, fate: Fate, procedureDays: number, receptionDays: Day[], end: Day): Timeline | undefined {
  const recent = (fate.kind === 'open' && !fate.overdue) || fate.openOn?.overdue === false;
  const received = random.pick(recent ? receptionDays.slice(-RECENT_DAYS) : receptionDays);
  const receivedAt = received * MINUTES_PER_DAY + random.int(450, 990);
  const dueBefore = addWorkingDays(received, procedureDays);
  const supplement = procedureDays >= 3 && random.chance(SUPPLEMENT_SHARE) ? drawSupplement(random, received, dueBefore) : undefined;
  if (supplement && supplement.resumedAt > endOf(end)) return undefined;
  const due = supplement ? supplement.dueAfter : dueBefore;
  const notBefore = endsNotBefore(fate, supplement, due);
  if (notBefore === undefined) return undefined;
  const busyUntil = supplement ? supplement.resumedAt : receivedAt;
  const timeline: Timeline = { received, receivedAt, dueBefore, supplement, finishedAt: undefined, stoppedAt: undefined, stopStatus: undefined };
  if (fate.kind === 'resolved') {
    const finishedAt = drawFinish(random, fate, due, notBefore, busyUntil);
    return finishedAt === undefined ? undefined : { ...timeline, finishedAt };
  }
  if (fate.kind === 'stopped') {
    const stop = drawStop(random, fate, timeline, notBefore, busyUntil);
    return stop && { ...timeline, ...stop };
  }
  return (fate.overdue ? due >= end : due < end) ? undefined : timeline;
}

function drawSupplement(random: Random, received: Day, dueBefore: Day): Supplement {
  const extension = random.int(3, 10);
  const requested = addWorkingDays(received, random.int(1, 2));
  const resumed = addWorkingDays(requested, random.int(1, extension));
  return {
    requestedAt: requested * MINUTES_PER_DAY + random.int(480, 1000),
    resumedAt: resumed * MINUTES_PER_DAY + random.int(480, 1000),
    dueAfter: addWorkingDays(dueBefore, extension),
  };
}

/**
 * Seen open on an earlier day: in progress then (no supplement pending), overdue or not as
 * planned, and ended after it; undefined when the draws contradict that.
 */
function endsNotBefore(fate: Fate, supplement: Supplement | undefined, due: Day): Day | undefined {
  if (!fate.openOn) return -Infinity;
  const on = day(fate.openOn.day);
  if (supplement && supplement.resumedAt > endOf(on)) return undefined;
  if (fate.openOn.overdue ? due >= on : due < on) return undefined;
  return on + 1;
}

function drawFinish(random: Random, fate: Extract<Ending, { kind: 'resolved' }>, due: Day, notBefore: Day, busyUntil: Stamp): Stamp | undefined {
  const [a, b] = [Math.max(day(fate.within.from), notBefore), day(fate.within.to)];
  const first = Math.max(dayOf(busyUntil), a);
  let f: Day | undefined;
  if (fate.timeliness === 'late') {
    f = skewedEarly(random, workingDaysBetween(Math.max(due + 1, first), b));
  } else {
    const earlyDays = workingDaysBetween(first, Math.min(due - 1, b));
    const early = earlyDays.length > 0 ? random.pick(earlyDays) : undefined;
    const onTime = due >= first && due <= b ? due : undefined;
    f = random.chance(0.85) ? (early ?? onTime) : (onTime ?? early);
  }
  return f === undefined ? undefined : momentAfter(random, f, busyUntil);
}

function drawStop(random: Random, fate: Extract<Ending, { kind: 'stopped' }>, timeline: Timeline, notBefore: Day, busyUntil: Stamp): Pick<Timeline, 'supplement' | 'stoppedAt' | 'stopStatus'> | undefined {
  const [a, b] = [Math.max(day(fate.within.from), notBefore), day(fate.within.to)];
  let stopStatus = random.weighted([7, 8, 3] as const, (s) => (s === 7 ? 0.5 : s === 8 ? 0.35 : 0.15));
  if (stopStatus === 3) {
    // Refused at the desk: the day it came, before any supplement.
    if (timeline.received < a || timeline.received > b) stopStatus = 7;
    else return { supplement: undefined, stoppedAt: timeline.receivedAt + random.int(5, 60), stopStatus };
  }
  const x = skewedEarly(random, workingDaysBetween(Math.max(dayOf(busyUntil), a), b));
  return x === undefined ? undefined : { supplement: timeline.supplement, stoppedAt: momentAfter(random, x, busyUntil), stopStatus };
}

/** When the result was handed back, if it was; most are, within a few working days. */
export function drawReturn(random: Random, finishedAt: Stamp | undefined): Stamp | undefined {
  if (finishedAt === undefined || !random.chance(RETURNED_SHARE)) return undefined;
  return momentAfter(random, addWorkingDays(dayOf(finishedAt), random.int(0, 3)), finishedAt);
}

/** A day from the list, more often one of the first ones (lateness and stops come soon rather than late). */
function skewedEarly(random: Random, days: Day[]): Day | undefined {
  if (days.length === 0) return undefined;
  return days[Math.floor(random.next() ** 3 * days.length)];
}

/** A time on working day d, after `after` when d is its day. */
function momentAfter(random: Random, d: Day, after: Stamp): Stamp {
  const start = d * MINUTES_PER_DAY;
  const earliest = Math.max(start + 450, after + 5);
  return Math.min(earliest + random.int(0, 480), Math.max(earliest, start + 1050));
}

/** The status changes of a received dossier, in time order. */
export function checkpointsOf(d: Timeline & { submittedAt: Stamp | undefined; returnedAt: Stamp | undefined }, random: Random, endStamp: Stamp): Checkpoint[] {
  const points: Checkpoint[] = [];
  if (d.submittedAt !== undefined) points.push({ at: d.submittedAt, status: 1 });
  const received = d.receivedAt;
  points.push({ at: received, status: 2 });
  const closedAt = d.finishedAt ?? d.stoppedAt ?? endStamp + 1;
  // Assigned to a department the next working day, if it is still open then.
  let next = dayOf(received) + 1;
  while (!isWorkingDay(next)) next++;
  const processing = next * MINUTES_PER_DAY + random.int(450, 700);
  if (processing < closedAt && processing <= endStamp && (!d.supplement || processing < d.supplement.requestedAt)) {
    points.push({ at: processing, status: 4 });
  }
  if (d.supplement) {
    points.push({ at: d.supplement.requestedAt, status: 5 }, { at: d.supplement.resumedAt, status: 4 });
  }
  if (d.finishedAt !== undefined) points.push({ at: d.finishedAt, status: 9 });
  if (d.returnedAt !== undefined) points.push({ at: d.returnedAt, status: 10 });
  if (d.stoppedAt !== undefined) points.push({ at: d.stoppedAt, status: d.stopStatus! });
  return points.sort((a, b) => a.at - b.at);
}
