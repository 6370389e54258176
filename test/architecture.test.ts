// The shape of the house, checked on every test run: imports go one way (core ← config ←
// connectors ← pipelines; the sample generator beside them, reached by the CLI only when asked),
// and no file or function grows past what a reader takes in at once. docs/architecture.md draws it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** What each top-level folder may import of the project (itself always). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  config: ['core'],
  connectors: ['core', 'config'],
  sample: ['core', 'config', 'connectors'],
  pipelines: ['core', 'config', 'connectors'],
  bench: ['core', 'config', 'connectors', 'pipelines', 'sample'],
  test: ['core', 'config', 'connectors', 'pipelines', 'sample', 'bench'],
  bin: ['pipelines'],
};

/** The one door from the job to the sample: the CLI's `sample` command and the demo config's first run, loaded when used. */
const LAZY_DOORS = [{ from: 'pipelines/cli.ts', to: 'sample' }];

type Import = { from: string; to: string; line: number; lazy: boolean; typeOnly: boolean };

/** The project's relative imports in a file's text, resolved to paths from the root. */
function importsOf(file: string, text: string): Import[] {
  const found: Import[] = [];
  const pattern = /\b(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'(\.{1,2}\/[^']+)'|\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)/g;
  for (const match of text.matchAll(pattern)) {
    const spec = match[2] ?? match[3]!;
    found.push({
      from: file,
      to: normalize(join(dirname(file), spec)),
      line: text.slice(0, match.index).split('\n').length,
      lazy: match[3] !== undefined,
      typeOnly: match[1] !== undefined,
    });
  }
  return found;
}

/** The imports that break the layering, as "file:line imports target". */
function againstTheLayers(imports: readonly Import[]): string[] {
  return imports
    .filter(({ from, to, lazy, typeOnly }) => {
      const [own, target] = [from.split('/')[0]!, to.split('/')[0]!];
      if (target === own || !(target in MAY_IMPORT)) return false;
      if (MAY_IMPORT[own]?.includes(target)) return false;
      // A type is erased before the code runs: it loads nothing.
      return !LAZY_DOORS.some((door) => door.from === from && door.to === target && (lazy || typeOnly));
    })
    .map(({ from, line, to }) => `${from}:${line} imports ${to}`);
}

const sources = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.js'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && f.split('/')[0]! in MAY_IMPORT && !f.startsWith('test/fixtures/'));
const text = (file: string) => readFileSync(join(ROOT, file), 'utf8');

describe('the layers', () => {
  it('import one way: core imports nothing of the project, config only core, connectors core and config, pipelines those three', () => {
    const imports = sources.flatMap((file) => importsOf(file, text(file)));
    expect(imports.length).toBeGreaterThan(300);
    expect(againstTheLayers(imports)).toEqual([]);
  });

  it('would catch each upward import the project had before it was layered', () => {
    // Examples of each kind the project had, written with today's folders: the config and the
    // connectors reaching into the job (for its errors, its logger, its DuckDB wrapper), the
    // kernel reaching up, and the run importing the sample generator.
    const before = [
      ['config/load.ts', "import { SQL_DIR } from '../pipelines/setup/layout.js';"],
      ['connectors/formats/csv.ts', "import { ident, literal, type Warehouse } from '../../pipelines/stages/load.js';"],
      ['connectors/http.ts', "import type { Logger } from '../pipelines/run.js';"],
      ['core/errors.ts', "import type { Config } from '../config/load.js';"],
      ['pipelines/run.ts', "import { generateSample } from '../sample/index.js';"],
      ['pipelines/cli.ts', "import { generateSample } from '../sample/index.js';"],
      ['sample/scale.ts', "import { runJob } from '../pipelines/run.js';"],
    ] as const;
    for (const [file, line] of before) expect(againstTheLayers(importsOf(file, line)), `${file}: ${line}`).toHaveLength(1);
    expect(againstTheLayers(importsOf('pipelines/cli.ts', "const { sampleCommand } = await import('../sample/command.js');"))).toEqual([]);
  });

  it('reads imports written over several lines, re-exports and type-only imports', () => {
    const imports = importsOf('connectors/api.ts', "import {\n  a,\n  b,\n} from '../pipelines/x.js';\nexport { c } from './c.js';\nimport type { D } from '../core/d.js';");
    expect(imports.map((i) => [i.to, i.line, i.typeOnly])).toEqual([
      ['pipelines/x.js', 1, false],
      ['connectors/c.js', 5, false],
      ['core/d.js', 6, true],
    ]);
  });
});

describe('the rooms', () => {
  it('hold no file over 350 lines (test fixtures and generated docs aside)', () => {
    const long = sources.map((file) => [file, text(file).split('\n').length] as const).filter(([, lines]) => lines > 350);
    expect(long).toEqual([]);
  });

  it('hold no function over 60 lines outside the tests, whose describe blocks are lists of cases', () => {
    const long: string[] = [];
    for (const file of sources.filter((f) => !f.startsWith('test/') && f.endsWith('.ts'))) {
      const source = ts.createSourceFile(file, text(file), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
          const [start, end] = [node.getStart(), node.getEnd()].map((at) => source.getLineAndCharacterOfPosition(at).line);
          if (end! - start! + 1 > 60) long.push(`${file}:${start! + 1} (${end! - start! + 1} lines)`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(long).toEqual([]);
  });
});
