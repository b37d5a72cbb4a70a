import { readFile } from 'node:fs/promises';
import { ENTITY_NAMES, stagingTableName, type EntityName } from '../../src/entities/catalog.js';
import { hintsByColumn, stagingColumnName, TYPE_HINTS } from '../../src/entities/type-hints.js';
import { columnNamesFor } from '../../src/entities/column-names.js';
import { PG_TYPE_NAMES } from '../../src/reporting/cast-sql.js';
import { ENTITY_COLUMNS, QM_QUESTION_COLUMNS, QM_WORKFLOW_COLUMNS } from '../../src/simulator/csv/columns.js';

/** docs/REPORTING.md shows bigint for `integer` and timestamptz for `timestamptz`. */
const DOC_TYPE: Record<string, string> = { ...PG_TYPE_NAMES, timestamptz: 'timestamptz' };

describe('type hints (src/entities/type-hints.ts)', () => {
  it.each(ENTITY_NAMES)('%s: one hint for every simulator header, none for others', (entity) => {
    expect(TYPE_HINTS[entity].map((h) => h.header).sort()).toEqual([...ENTITY_COLUMNS[entity]].sort());
  });

  it.each(ENTITY_NAMES)('%s: staging names are what the loader gives the full header', (entity) => {
    const header = TYPE_HINTS[entity].map((h) => h.header);
    expect(header.map(stagingColumnName)).toEqual(columnNamesFor(header));
    expect(hintsByColumn(entity).size).toBe(header.length);
  });

  it('contract QM headers are exactly the Singer tap lists (workflows v3, questions v1)', () => {
    const contract = (e: EntityName): string[] =>
      TYPE_HINTS[e].filter((h) => h.source === 'contract').map((h) => h.header);
    expect(contract('qm-workflows')).toEqual(QM_WORKFLOW_COLUMNS.slice(0, 38));
    expect(contract('qm-questions')).toEqual(QM_QUESTION_COLUMNS.slice(0, 34));
    expect(contract('qm-evaluation-comment-entity')).toEqual([]);
    expect(contract('wfm-payroll')).toEqual([]);
  });

  it('a format only on timestamptz hints; contract recording headers are the ones the contract names', () => {
    const all = ENTITY_NAMES.flatMap((e) => TYPE_HINTS[e].map((h) => ({ e, ...h })));
    expect(all.filter((h) => h.format !== undefined && h.type !== 'timestamptz')).toEqual([]);
    expect(
      all
        .filter((h) => h.source === 'contract' && h.e === 'recording-interaction-metadata')
        .map((h) => h.header)
        .sort(),
    ).toEqual(
      [
        'ACD Call ID',
        'Segment ID',
        'Start Date',
        'Voice Recording Status',
        'Agent 1 Skills',
        'Agent 1 ACD ID',
        'Agent 1 Name',
        'Agent 1 Team',
        'Agent 1 Contact Number',
        'ANI',
        'DNIS',
        'Disposition',
      ].sort(),
    );
  });

  it.each(ENTITY_NAMES)('%s: docs/REPORTING.md lists the same columns, types and headers', async (entity) => {
    const doc = await readFile(new URL('../../docs/REPORTING.md', import.meta.url), 'utf8');
    const heading = `### ${entity} → \`cxone.${stagingTableName(entity)}\``;
    const start = doc.indexOf(heading);
    expect(start).toBeGreaterThanOrEqual(0);
    const section = doc.slice(start + heading.length).split(/\n#{2,3} /)[0] ?? '';
    const rows = section
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split(' | ').map((cell) => cell.replace(/^\| |`/g, '').trim()));
    expect(rows.map(([column, type, header, source]) => [column, type, header, source])).toEqual(
      TYPE_HINTS[entity].map((h) => [stagingColumnName(h.header), DOC_TYPE[h.type], h.header, h.source]),
    );
  });
});
