import { describe, expect, it } from 'vitest';
import { formatDiagnostic, sortDiagnostics, uniqueDiagnostics, type Diagnostic } from '../../src/load/diagnostics.js';
import { parseYaml } from '../../src/load/yamlSource.js';

const at = (line: number, col: number, message = 'm', file = 'a.yml'): Diagnostic => ({ file, line, col, message, severity: 'error' });

describe('formatDiagnostic', () => {
  it('prints file:line:col, the source line and an underline', () => {
    const text = formatDiagnostic({
      file: 'playbooks/site.yml',
      line: 4,
      col: 11,
      message: 'Unknown step "pul"; did you mean "pull"?',
      severity: 'error',
      sourceLine: '  steps: [pul, stop]',
      length: 3,
    });
    expect(text).toBe(
      ['playbooks/site.yml:4:11: error: Unknown step "pul"; did you mean "pull"?', '  4 |   steps: [pul, stop]', '    |           ^^^'].join('\n'),
    );
  });

  it('widens the gutter for long line numbers and keeps tabs so the underline lines up', () => {
    const text = formatDiagnostic({ file: 'f.yml', line: 120, col: 4, message: 'm', severity: 'warning', sourceLine: 'a:\tbc', length: 2 });
    expect(text).toBe(['f.yml:120:4: warning: m', '  120 | a:\tbc', '      |   \t^^'].join('\n'));
  });

  it('underlines one character when the length is unknown', () => {
    expect(formatDiagnostic({ ...at(1, 1), sourceLine: 'x' })).toBe(['a.yml:1:1: error: m', '  1 | x', '    | ^'].join('\n'));
  });

  it('prints only the header for diagnostics without a position', () => {
    expect(formatDiagnostic({ file: 'missing.yml', line: 0, col: 0, message: 'Cannot read the inventory: no such file', severity: 'error' })).toBe(
      'missing.yml: error: Cannot read the inventory: no such file',
    );
  });
});

describe('sortDiagnostics and uniqueDiagnostics', () => {
  it('orders by position within a file, files in order of first appearance', () => {
    const list = [at(5, 1, 'e'), at(2, 9, 'x', 'b.yml'), at(2, 3, 'c'), at(2, 3, 'd'), at(1, 1, 'y', 'b.yml')];
    expect(sortDiagnostics(list).map((d) => `${d.file}:${d.line}:${d.col}:${d.message}`)).toEqual([
      'a.yml:2:3:c',
      'a.yml:2:3:d',
      'a.yml:5:1:e',
      'b.yml:1:1:y',
      'b.yml:2:9:x',
    ]);
  });

  it('drops the same message at the same spot', () => {
    expect(uniqueDiagnostics([at(1, 1), at(1, 1), at(1, 2), at(1, 1, 'n')])).toEqual([at(1, 1), at(1, 2), at(1, 1, 'n')]);
  });
});

describe('parseYaml', () => {
  const render = (text: string): string[] => parseYaml('f.yml', text).diagnostics.map(formatDiagnostic);

  it.each([
    {
      name: 'a duplicate key, with where the first one is',
      input: 'all:\n  hosts:\n    a:\n  hosts:\n    b:\n',
      diagnostics: [
        'f.yml:4:3: error: Duplicate key "hosts" (first on line 2); YAML would keep only the last one, so merge the two entries\n  4 |   hosts:\n    |   ^^^^^',
      ],
    },
    {
      name: 'tabs as indentation',
      input: 'all:\n\thosts: {}\n',
      diagnostics: ['f.yml:2:1: error: Tabs cannot indent YAML; indent with spaces\n  2 | \thosts: {}\n    | ^'],
    },
    {
      name: 'an unclosed quote',
      input: 'a: "x\n',
      diagnostics: ['f.yml:2:1: error: Invalid YAML: Missing closing "quote\n  2 | \n    | ^'],
    },
    {
      name: 'an unknown alias',
      input: 'a: *nope\n',
      diagnostics: ['f.yml:1:4: error: Unknown alias "*nope"; define the anchor "&nope" earlier in the file\n  1 | a: *nope\n    |    ^^^^^'],
    },
    {
      name: 'two documents',
      input: 'a: 1\n---\nb: 2\n',
      diagnostics: [
        'f.yml:2:1: error: The file holds more than one YAML document (a "---" line); freshen reads one, so remove the extra "---"\n  2 | ---\n    | ^^^',
      ],
    },
    {
      name: 'one complaint per broken line',
      input: '- a\nb: 1\n',
      diagnostics: ['f.yml:2:1: error: Invalid YAML: Unexpected scalar at node end\n  2 | b: 1\n    | ^'],
    },
  ])('reports $name', ({ input, diagnostics }) => {
    expect(render(input)).toEqual(diagnostics);
  });

  it('still returns the data when the only problem is a duplicate key, so later checks can report more', () => {
    const parsed = parseYaml('f.yml', 'a: 1\na: 2\n');
    expect(parsed.data).toEqual({ a: 2 });
    expect(parsed.diagnostics).toHaveLength(1);
  });

  it('returns no data when the YAML is broken', () => {
    expect('data' in parseYaml('f.yml', 'a: [1\n')).toBe(false);
  });

  it('follows merge keys', () => {
    expect(parseYaml('f.yml', 'base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n').data).toEqual({ base: { x: 1 }, c: { x: 1, y: 2 } });
  });

  it('locates keys and values by path, including keys brought in by a merge', () => {
    const { source } = parseYaml('f.yml', 'base: &b\n  x: 1\nplays:\n  - name: a\n    c:\n      <<: *b\n      y: 2\n');
    const where = (path: Array<string | number>, at?: 'key' | 'value') => {
      const d = source.diagnostic(path, 'm', { at });
      return `${d.line}:${d.col}+${d.length}`;
    };
    expect(where(['plays', 0, 'name'])).toBe('4:11+1');
    expect(where(['plays', 0, 'name'], 'key')).toBe('4:5+4');
    expect(where(['plays', 0, 'c', 'y'], 'key')).toBe('7:7+1');
    expect(where(['plays', 0, 'c', 'x'])).toBe('2:6+1');
    expect(where(['plays', 0, 'missing', 'deeper'], 'key')).toBe('4:5+7'); // the deepest node that exists: the play's first line
    expect(where([])).toBe('1:1+8');
  });
});
