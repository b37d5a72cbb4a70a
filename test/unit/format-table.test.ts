import { displayWidth, formatTable } from '../../src/commands/format-table.js';

describe('formatTable', () => {
  it('aligns columns by display width, with Korean text taking two columns a character', () => {
    expect(displayWidth('고객 응대')).toBe(9);
    const text = formatTable(
      ['form', 'n'],
      [
        ['고객 응대', '305'],
        ['Inbound', '21'],
      ],
    );
    const lines = text.trimEnd().split('\n');
    expect(lines).toEqual(['form         n', '---------  ---', '고객 응대  305', 'Inbound     21']);
  });
});
