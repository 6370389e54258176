import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRegister } from '../../config/register.js';
import { ConfigError } from '../../core/errors.js';
import { DONG_HOI, tempDir, writeText } from '../helpers.js';

function problemsOf(yaml: string): string {
  const file = writeText(join(tempDir(), 'units.yaml'), yaml);
  try {
    loadRegister(file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message.replace(file, '<file>');
  }
  throw new Error('expected the register to be refused');
}

const HEAD = 'code: W\nname: Phường Mẫu\nlevels: { commune: { label: Cấp xã } }\nunits:\n  - { code: QT, name: Tỉnh Quảng Trị, type: province }\n';

describe('the unit register', () => {
  it('holds the crosswalk of 1 July 2025: the 15 communes and wards of Đồng Hới in 8 + 3 + 4 to three wards of Quảng Trị', () => {
    const register = loadRegister(DONG_HOI.register);
    const communes = register.units.filter((u) => u.level === 'commune' && u.validTo === '2025-06-30');
    expect(communes).toHaveLength(15);
    const byWard = new Map<string, number>();
    for (const c of communes) {
      expect(c.successors).toEqual([{ unit: expect.stringMatching(/^QT\./), share: 1 }]);
      byWard.set(c.successors[0]!.unit, (byWard.get(c.successors[0]!.unit) ?? 0) + 1);
    }
    expect(Object.fromEntries(byWard)).toEqual({ 'QT.DONGHOI': 8, 'QT.DONGTHUAN': 3, 'QT.DONGSON': 4 });
    // Every unit that ended hands all of its work on: shares add up to 1.
    for (const u of register.units.filter((x) => x.validTo && x.parent)) {
      expect(u.successors.reduce((sum, s) => sum + s.share, 0), u.code).toBeCloseTo(1, 9);
    }
    expect(register.levels.map((l) => l.code)).toEqual(['city', 'province', 'commune']);
  });

  it('refuses a split without shares, shares that do not add up to 1, and successors that do not take over the next day, naming the unit', () => {
    const message = problemsOf(
      HEAD +
        '  - { code: W.A, name: Phường A, level: commune, type: ward, parent: QT, valid_to: 2025-06-30, successors: [W.B, W.C] }\n' +
        '  - { code: W.B, name: Phường B, level: commune, type: ward, parent: QT, valid_from: 2025-07-01, valid_to: 2025-05-01 }\n' +
        '  - { code: W.C, name: Phường C, level: commune, type: ward, parent: QT, valid_from: 2025-07-01, valid_to: 2026-12-31, successors: [{ unit: W.D, share: 0.5 }, { unit: W.D, share: 0.3 }] }\n' +
        '  - { code: W.D, name: Phường D, level: commune, type: ward, parent: QT, valid_from: 2026-12-01 }\n' +
        '  - { code: W.E, name: Phường E, level: commune, type: ward, parent: QT, valid_to: 2025-06-30, successors: [QT] }\n',
    );
    expect(message.split('\n')).toEqual([
      'the unit register <file> is not consistent:',
      '  W.A: successor W.B needs a share: a unit split between several successors gives each its part',
      '  W.A: successor W.C needs a share: a unit split between several successors gives each its part',
      '  W.B: valid_from 2025-07-01 is after valid_to 2025-05-01',
      // A unit that ends hands its work on, or the restatement under today's units loses it.
      '  W.B: ends on 2025-05-01 with no successors: name the units that took its work over',
      '  W.C: a successor is listed twice',
      '  W.C: successor W.D starts on 2026-12-01, not on 2027-01-01, the day after W.C ends',
      '  W.C: successor W.D starts on 2026-12-01, not on 2027-01-01, the day after W.C ends',
      '  W.C: the shares of its successors add up to 0.8, not 1',
      '  W.E: successor QT is an entity at the top, which receives nothing: name the unit that took the work over',
    ]);
  });

  it('refuses a unit whose code is the deployment\'s, an entry with a misspelt field, a day that does not exist and reports_to below the top, by its code', () => {
    expect(problemsOf(`${HEAD}  - { code: W, name: Phường Mẫu, level: commune, type: ward, parent: QT }\n`)).toContain(
      "W: the deployment's code (the code of its totals) is also a unit's",
    );
    expect(problemsOf(`${HEAD}  - { code: W.A, name: Phường A, level: commune, type: ward, parent: QT, valid_until: 2025-06-30 }\n`)).toContain(
      'units[1] (W.A): Unrecognized key: "valid_until"',
    );
    expect(problemsOf(`${HEAD}  - { code: W.A, name: Phường A, level: commune, type: ward, parent: QT, valid_to: 2025-02-30, successors: [QT] }\n`)).toContain(
      'units[1] (W.A).valid_to: no such day',
    );
    expect(problemsOf(`${HEAD}  - { code: W.A, name: Phường A, level: commune, type: ward, parent: QT, reports_to: UBND tỉnh Quảng Trị }\n`)).toContain(
      'W.A: reports_to is read on an entity at the top only',
    );
  });
});
