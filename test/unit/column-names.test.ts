import { columnNamesFor, MAX_IDENTIFIER_BYTES } from '../../src/entities/column-names.js';

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

  it('suffixes collisions in header order, skipping names already taken', () => {
    expect(columnNamesFor(['Agent Name', 'agent_name', 'AGENT-NAME', 'agent name 2'])).toEqual([
      'agent_name',
      'agent_name_2',
      'agent_name_3',
      'agent_name_2_2',
    ]);
    expect(columnNamesFor(['', 'column_1'])).toEqual(['column_1', 'column_1_2']);
  });

  it('keeps the earlier names when a later file appends a colliding column', () => {
    const first = columnNamesFor(['Tag', 'Tag']);
    const later = columnNamesFor(['Tag', 'Tag', 'Tag 2', 'Tag']);
    expect(later.slice(0, 2)).toEqual(first);
    expect(new Set(later).size).toBe(later.length);
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
    expect(columnNamesFor(['Cafe\u0301', 'Caf\u00e9'])).toEqual(['café', 'café_2']);
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

  it('keeps collision suffixes within the cap and distinct', () => {
    const long = 'y'.repeat(80);
    const names = columnNamesFor([long, long, long]);
    expect(new Set(names).size).toBe(3);
    for (const name of names) expect(bytes(name)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES);
  });

  it('makes a header crafted as SQL into a plain name', () => {
    expect(columnNamesFor(['"; DROP TABLE x; --'])).toEqual(['drop_table_x']);
  });

  it('gives distinct names for 2,000 columns', () => {
    const header = Array.from({ length: 2000 }, (_, i) => (i % 3 === 0 ? 'Same' : `Col ${i}`));
    const names = columnNamesFor(header);
    expect(new Set(names).size).toBe(2000);
  });
});
