import { columnNamesFor, MAX_IDENTIFIER_BYTES, resolveColumns } from '../../src/entities/column-names.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

describe('columnNamesFor', () => {
  it('turns the contract headers into lower snake_case', () => {
    expect(columnNamesFor(['ACD Call ID', 'Agent 1 Skills', 'Voice Recording Status', 'ANI'])).toEqual([
      'acd_call_id',
      'agent_1_skills',
      'voice_recording_status',
      'ani',
    ]);
  });

  it('turns runs of other characters into one underscore and trims them', () => {
    expect(columnNamesFor(['  Score (%) ', 'a--b__c', 'Point of Contact / DNIS', '"Quoted"'])).toEqual([
      'score',
      'a_b_c',
      'point_of_contact_dnis',
      'quoted',
    ]);
  });

  it('names empty and symbol-only headers by position', () => {
    expect(columnNamesFor(['', 'a', '%%%', ' '])).toEqual(['column_1', 'a', 'column_3', 'column_4']);
  });

  it('prefixes names that start with a digit or underscore, or are system columns', () => {
    expect(columnNamesFor(['1st Agent', '_tenant_id', '__x', 'xmin', 'ctid', 'oid'])).toEqual([
      'c_1st_agent',
      'tenant_id',
      'x',
      'c_xmin',
      'c_ctid',
      'oid',
    ]);
  });

  it('never yields a name starting with an underscore, the prefix of metadata columns', () => {
    const names = columnNamesFor(['_tenant_id', '_', '__', '_1', '-x-', '']);
    for (const name of names) expect(name.startsWith('_')).toBe(false);
  });

  it('refuses two headers that read as one column (case, spacing, punctuation ignored), naming both', () => {
    for (const header of [
      ['Agent Name', 'agent_name'],
      ['ID', 'Agent Name', 'AGENT-NAME'],
      ['Last Updated', 'LastUpdated'],
      ['Tag', 'Tag'],
      ['', 'column_1'],
    ]) {
      expect(() => columnNamesFor(header)).toThrow(
        expect.objectContaining({
          code: 'BAD_INPUT',
          message: expect.stringContaining(JSON.stringify(header.at(-1))),
        }),
      );
    }
    expect(() => columnNamesFor(['Agent Name', 'AGENT-NAME'])).toThrow(
      /"Agent Name" \(column 1\) and "AGENT-NAME" \(column 2\)/,
    );
    expect(columnNamesFor(['Agent Name', 'agent name 2'])).toEqual(['agent_name', 'agent_name_2']);
  });

  it('resolves a later spelling of an existing column to that column', () => {
    expect(resolveColumns(['lastupdated', 'workflowid', 'new_one'], ['last_updated', 'workflow_id'])).toEqual(
      ['last_updated', 'workflow_id', 'new_one'],
    );
    expect(resolveColumns(['last_updated'], ['last_updated', 'lastupdated'])).toEqual(['last_updated']);
  });

  it('keeps Korean and other letters, lower-cased', () => {
    expect(columnNamesFor(['상담원 이름', 'Ärger Grund', 'Kundennr.', 'Émoji 😊 count'])).toEqual([
      '상담원_이름',
      'ärger_grund',
      'kundennr',
      'émoji_count',
    ]);
  });

  it('normalises to NFC, so composed and decomposed spellings meet', () => {
    expect(columnNamesFor(['Cafe\u0301'])).toEqual(columnNamesFor(['Caf\u00e9']));
    expect(() => columnNamesFor(['Cafe\u0301', 'Caf\u00e9'])).toThrow(/café/);
  });

  it('caps names at 63 bytes with a hash of the full name', () => {
    const long = 'Agent '.repeat(20);
    const [name] = columnNamesFor([long]);
    expect(bytes(name as string)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES);
    expect(name).toMatch(/^agent_agent_.*_[0-9a-f]{8}$/);
    expect(columnNamesFor([long])).toEqual([name]);
  });

  it('keeps long names that share a prefix apart', () => {
    const prefix = 'x'.repeat(70);
    const names = columnNamesFor([`${prefix} one`, `${prefix} two`]);
    expect(names[0]).not.toBe(names[1]);
    for (const name of names) expect(bytes(name)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES);
  });

  it('caps multi-byte names by bytes without splitting a character', () => {
    const korean = '상담'.repeat(30); // 3 bytes a character: 180 bytes
    const [name] = columnNamesFor([korean]) as [string];
    expect(bytes(name)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES);
    expect(name).toMatch(/^[상담]+_[0-9a-f]{8}$/u);
    expect(name).not.toContain('\uFFFD');
  });

  it('keeps a 63-byte name as it is and caps a 64-byte one', () => {
    expect(columnNamesFor(['a'.repeat(63)])).toEqual(['a'.repeat(63)]);
    const [capped] = columnNamesFor(['a'.repeat(64)]) as [string];
    expect(capped).toMatch(/^a{54}_[0-9a-f]{8}$/);
  });

  it('makes a header crafted as SQL into a plain name', () => {
    expect(columnNamesFor(['"; DROP TABLE x; --'])).toEqual(['drop_table_x']);
  });

  it('gives distinct names for 2,000 columns', () => {
    const header = Array.from({ length: 2000 }, (_, i) => `Col ${i}`);
    const names = columnNamesFor(header);
    expect(new Set(names).size).toBe(2000);
  });
});
