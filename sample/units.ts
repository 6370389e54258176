// The sample's reading of the deployment's unit register: which units exist on a day, which of
// them receive dossiers, and who does a unit's work once it has ended (its successors), so that
// every dossier and portal event names a unit that was valid on its date.
import type { Register, RegisterUnit } from '../config/register.js';
import { day, type Day } from './calendar.js';

/** A unit of the register, with its place in it (dossier ids carry it) and its validity as days. */
export type Unit = RegisterUnit & { index: number; firstDay: Day; lastDay: Day };

/** The register's `type` of the entity's own one-stop-shop desk (config/deployments/dong-hoi.units.yaml). */
const DESK = 'desk';

export class SampleUnits {
  readonly all: Unit[];
  /** The level that takes the commune-level procedures: the register's last. */
  readonly lastLevel: string;
  private readonly byCode: Map<string, Unit>;

  constructor(readonly register: Register) {
    this.all = register.units.map((u, index) => ({
      ...u,
      index,
      firstDay: u.validFrom ? day(u.validFrom) : -Infinity,
      lastDay: u.validTo ? day(u.validTo) : Infinity,
    }));
    this.byCode = new Map(this.all.map((u) => [u.code, u]));
    this.lastLevel = register.levels.at(-1)!.code;
  }

  get(code: string): Unit | undefined {
    return this.byCode.get(code);
  }

  isValidOn(unit: Unit, d: Day): boolean {
    return unit.firstDay <= d && d <= unit.lastDay;
  }

  isDesk(unit: Unit): boolean {
    return unit.type === DESK;
  }

  /** The units that receive dossiers on day d: valid, under the entity (with a level), other than its desk. */
  receiversOn(d: Day): Unit[] {
    return this.all.filter((u) => u.level !== null && !this.isDesk(u) && this.isValidOn(u, d));
  }

  /** The entity's desk of that level on day d, if it has one. */
  deskOn(d: Day, level: string | null): Unit | undefined {
    return this.all.find((u) => this.isDesk(u) && u.level === level && this.isValidOn(u, d));
  }

  /**
   * Who does `unit`'s work on day d: the unit itself while it is valid, else its successor valid
   * then (for a unit split between several, the part `draw` falls on, by share). A unit that
   * ended without successors stays itself.
   */
  currentOn(unit: Unit, d: Day, draw: () => number): Unit {
    let current = unit;
    while (d > current.lastDay && current.successors.length > 0) {
      let target = draw();
      const next = current.successors.find((s) => (target -= s.share) < 0) ?? current.successors.at(-1)!;
      current = this.byCode.get(next.unit)!;
    }
    return current;
  }

  /** The units `unit`'s work ends with on day d when none valid then takes it over: none when every part of it reaches a unit valid on d. */
  strandedOn(unit: Unit, d: Day): Unit[] {
    if (this.isValidOn(unit, d)) return [];
    if (d < unit.firstDay || unit.successors.length === 0) return [unit];
    return unit.successors.flatMap((s) => this.strandedOn(this.byCode.get(s.unit)!, d));
  }

  /** The commune and the bodies above it as an address writes them: "phường Nam Lý, thành phố Đồng Hới". */
  locality(unit: Unit): string {
    const names: string[] = [];
    for (let u: Unit | undefined = unit; u; u = u.parent ? this.byCode.get(u.parent) : undefined) {
      const name = u.name.replace(/^UBND /, '');
      names.push(name.charAt(0).toLowerCase() + name.slice(1));
    }
    return names.join(', ');
  }
}
