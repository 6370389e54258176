// The `cchc` command as an operator runs it: real processes, exit codes, what they print.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DONG_HOI_YAML, inboxWith, queryFile, sqlCopy, tempDir, writeText } from '../helpers.js';
import { runCchc } from '../processes.js';

const cchc = runCchc;

function configFor(files: string[], sqlDir?: string, more = ''): string {
  const dir = tempDir();
  inboxWith(dir, files);
  const sql = sqlDir ? `  sql_dir: ${sqlDir}\n` : '';
  return writeText(join(dir, 'config.yaml'), `warehouse:\n  data_dir: ./data\n${sql}${DONG_HOI_YAML}sources:\n  motcua:\n    inbox: ./inbox\n${more}`);
}

describe('the cchc command', () => {
  it('runs the job, prints the headline indicators and where the outputs are, and exits 0', async () => {
    const config = configFor(['motcua/danh-muc-tthc.csv', 'motcua/ho-so-2024-W01.csv', 'motcua/ho-so-2024-W13.csv', 'motcua/ho-so-2024-W14.csv']);
    const { code, stdout, stderr } = await cchc(['run', '--config', config]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Đồng Hới\s+2024-Q1/);
    expect(stdout).toMatch(/to process\s+8/);
    expect(stdout).toContain(join('data', 'publish', 'current'));
    // Logs are JSON lines on stderr, with the run id on each.
    const lines = stderr.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.every((l) => typeof l.run_id === 'string')).toBe(true);
    expect(lines.map((l) => l.msg)).toContain('publish done');
  });

  it('records a run started by hand as manual, and one from cron as cron when the crontab line says so', async () => {
    const config = configFor(['motcua/danh-muc-tthc.csv', 'motcua/ho-so-2024-W01.csv']);
    const manual = await cchc(['run', '--config', config]);
    expect(manual.lines.find((l) => l.msg === 'run started')).toMatchObject({ trigger: 'manual' });
    const cron = await cchc(['run', '--config', config, '--trigger', 'cron']);
    expect(cron.lines.find((l) => l.msg === 'run started')).toMatchObject({ trigger: 'cron' });
  });

  it('compares the figures with the reference report only where the config asks for it', async () => {
    const files = ['motcua/danh-muc-tthc.csv', 'motcua/ho-so-2024-W01.csv'];
    const other = await cchc(['run', '--config', configFor(files)]);
    expect(other.code).toBe(0);
    expect(other.stdout).not.toContain('Figures of the reference report');
    expect(other.stdout).not.toContain('published_figures_match');
    const dongHoi = await cchc(['run', '--config', configFor(files, undefined, 'reporting:\n  reconcile_published_figures: true\n')]);
    expect(dongHoi.stdout).toMatch(/Figures of the reference report: \d+ of 55 match/);
  });

  it('says a cause shared by many files once, naming the first files and how many more', async () => {
    const dir = tempDir();
    const inbox = inboxWith(dir, ['motcua/danh-muc-tthc.csv']);
    const noDueDate = 'Mã hồ sơ,Mã TTHC,Đơn vị tiếp nhận,Kênh nộp,Ngày tiếp nhận,Trạng thái,Ngày cập nhật\nA,1.000001,Phòng Tư pháp,Trực tuyến,02/01/2024,Đã tiếp nhận,02/01/2024\n';
    for (let week = 1; week <= 6; week++) writeText(join(inbox, `ho-so-2024-W0${week}.csv`), noDueDate.replace('A,', `W${week},`));
    const config = writeText(join(dir, 'config.yaml'), `warehouse:\n  data_dir: ./data\n${DONG_HOI_YAML}sources:\n  motcua:\n    inbox: ./inbox\n`);
    const { code, stderr } = await cchc(['run', '--config', config]);
    expect(code).toBe(1);
    const said = (text: string) => stderr.split(text).length - 1;
    expect(stderr).toContain('- [load motcua] 6 files (ho-so-2024-W01.csv, ho-so-2024-W02.csv, ho-so-2024-W03.csv and 3 more): missing required column due_at (e.g. "Ngày hẹn trả")');
    expect(said('missing required column due_at')).toBe(2); // the log line of the cause, and the summary
  });

  it('exits 1 and says what to do when an export cannot be loaded', async () => {
    const config = configFor(['motcua/danh-muc-tthc.csv', 'motcua/ho-so-missing-column.csv']);
    const { code, stderr } = await cchc(['run', '--config', config]);
    expect(code).toBe(1);
    expect(stderr).toContain('ho-so-missing-column.csv: missing required column received_at');
    expect(stderr).toContain('→ re-export the file with this column');
  });

  it('exits 1 naming the data test that failed and blocked publication', async () => {
    const sqlDir = sqlCopy({ 'tests/no_dossier_ever.sql': "/*\ndescription: Fails on any dossier.\n*/\nselect dossier_id from staging.stg_motcua__dossiers\n" });
    const config = configFor(['motcua/danh-muc-tthc.csv', 'motcua/ho-so-2024-W01.csv'], sqlDir);
    const { code, stdout, stderr } = await cchc(['run', '--config', config]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/\[transform\] 1 data test failed: no_dossier_ever \(5 rows\)/);
    expect(stdout).not.toContain('Published');
  });

  it('refuses a wrong command line with exit code 2, as a wrong config: a month 13 is no day', async () => {
    const wrong = await cchc(['backfill', '--from', '2024-13-01', '--to', '2024-12-31']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("option '--from <date>' argument '2024-13-01' is invalid. expected a day as YYYY-MM-DD");
    expect(wrong.stderr).not.toContain('RangeError');
  });

  it('reports a current release whose manifest is gone, and the job as needing attention', async () => {
    const config = configFor(['motcua/danh-muc-tthc.csv', 'motcua/ho-so-2024-W01.csv']);
    expect((await cchc(['run', '--config', config])).code).toBe(0);
    rmSync(join(dirname(config), 'data', 'publish', 'current', 'manifest.json'));
    const status = await cchc(['status', '--config', config]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^Current release: \S+ \(.*\): its manifest\.json cannot be read \(ENOENT/m);
    expect(status.stdout).toContain('Needs attention');
  });

  it('writes the sample of the config it is given, for the units of its register, and asks for a folder when the config names none', async () => {
    const out = join(tempDir(), 'sample');
    const province = join(import.meta.dirname, '..', '..', 'config', 'province-sample.yaml');
    const written = await cchc(['sample', '--config', province, '--out', out]);
    expect(written.code).toBe(0);
    expect(written.stdout).toContain(`to ${out}`);
    // Its own communes, not Đồng Hới's.
    const exports = readdirSync(join(out, 'motcua', 'inbox')).filter((f) => /^ho-so-.*\.csv$/.test(f));
    const text = exports.map((f) => readFileSync(join(out, 'motcua', 'inbox', f), 'utf8')).join('');
    expect(text).toContain('Tân Thành');
    expect(text).not.toContain('Nam Lý');

    const bare = writeText(join(tempDir(), 'config.yaml'), `${DONG_HOI_YAML}sources:\n  motcua:\n    inbox: ./inbox\n`);
    const refused = await cchc(['sample'], { CCHC_CONFIG: bare });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${bare} has no sample.out: no folder to write the sample to`);
  });

  it('checks a config, its unit register, its sources, seeds and models', async () => {
    const { code, stdout } = await cchc(['check', '--config', configFor([])]);
    expect(code).toBe(0);
    expect(stdout).toContain('dong-hoi.units.yaml: Đồng Hới (DH), 44 units, levels city "Cấp thành phố", province "Cấp tỉnh", commune "Cấp xã, phường"');
    expect(stdout).toMatch(/seeds, \d+ SQL models and \d+ data tests: valid/);
  });

  it('refuses a vocabulary that cannot be placed, a desk level that is none, and two columns given one header spelling, naming the keys', async () => {
    const vocabulary = configFor([], undefined, 'vocabulary:\n  channel:\n    "9": ["Qua Zalo"]\n  colour:\n    red: ["đỏ"]\n  unit:\n    DH.NAMLY: ["P. Nam Lý"]\n    DH.BACLY: ["p nam ly"]\n');
    const placed = await cchc(['check', '--config', vocabulary]);
    expect(placed.code).toBe(2);
    expect(placed.stderr).toContain('vocabulary.channel.9: names no code of the list');
    expect(placed.stderr).toMatch(/vocabulary\.colour: no code list is called "colour" \(lists: [a-z_, ]+\)/);
    // One clash, said once, whichever way each code's spelling was written.
    expect(placed.stderr).toContain('vocabulary.unit: "P. Nam Lý" is given for more than one code (DH.BACLY, DH.NAMLY)');
    expect(placed.stderr.split('is given for more than one code')).toHaveLength(2);

    const register = writeText(join(tempDir(), 'units.yaml'), [
      'code: X', 'name: Xã Mẫu', 'levels: { commune: { label: Cấp xã } }', 'units:',
      '  - { code: X.UB, name: Xã Mẫu, type: commune }',
      '  - { code: X.MC, name: Bộ phận Một cửa, level: district, type: desk, parent: X.UB, valid_to: 2025-06-30, successors: [X.NEW] }',
      '',
    ].join('\n'));
    const misnamed = await cchc(['check', '--config', writeText(join(tempDir(), 'config.yaml'), `deployment:\n  register: ${register}\nsources:\n  motcua:\n    inbox: ./inbox\n`)]);
    expect(misnamed.code).toBe(2);
    expect(misnamed.stderr).toContain(`the unit register ${register} is not consistent`);
    expect(misnamed.stderr).toContain('X.MC: level "district" is not one of the register\'s levels (commune)');
    expect(misnamed.stderr).toContain('X.MC: successor X.NEW is not a unit of the register');

    const clash = configFor([], undefined, '    header_aliases:\n      dossier_id: ["Số biên nhận"]\n      procedure_code: ["Số biên nhận"]\n');
    const refused = await cchc(['check', '--config', clash]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('sources.motcua.header_aliases: "Số biên nhận" is given to both dossier_id and procedure_code (table dossiers)');
  });

  it('takes a header spelling of the config over a built-in one, and says so when checking', async () => {
    const dir = tempDir();
    const inbox = inboxWith(dir, ['motcua/danh-muc-tthc.csv']);
    // This office writes the unit that received the dossier under "Đơn vị xử lý".
    writeText(join(inbox, 'ho-so-2024-W01.csv'), 'Mã hồ sơ,Mã TTHC,Đơn vị xử lý,Kênh nộp,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái,Ngày cập nhật\nA,1.000001,Phòng Tư pháp,Trực tuyến,02/01/2024,10/01/2024,Đã tiếp nhận,02/01/2024\n');
    const config = writeText(join(dir, 'config.yaml'), `warehouse:\n  data_dir: ./data\n${DONG_HOI_YAML}sources:\n  motcua:\n    inbox: ./inbox\n    header_aliases:\n      receiving_unit: ["Đơn vị xử lý"]\n`);
    const check = await cchc(['check', '--config', config]);
    expect(check.stdout).toContain('note: sources.motcua.header_aliases.receiving_unit: "Đơn vị xử lý" means receiving_unit in this deployment\'s dossiers, not handling_unit');
    expect((await cchc(['run', '--config', config])).code).toBe(0);
    const staged = await queryFile(join(dir, 'data', 'warehouse.duckdb'), 'SELECT unit_code, handling_unit FROM staging.stg_motcua__dossiers');
    expect(staged).toEqual([{ unit_code: 'DH.TP', handling_unit: null }]);
  });

  it('exits 2 naming the wrong key of a config', async () => {
    const config = writeText(join(tempDir(), 'config.yaml'), 'sources:\n  motcua:\n    inbox: ./inbox\nreporting:\n  period_window: weekly\n');
    const { code, stderr } = await cchc(['check', '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toContain('reporting.period_window: Invalid option: expected one of "calendar"|"cutoff"');
  });
});
