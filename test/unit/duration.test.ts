import { formatDuration, parseDuration } from '../../src/config/forms.js';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['1d', 86_400_000],
    ['2h', 7_200_000],
    ['250ms', 250],
    ['1500', 1500],
    ['2w', 1_209_600_000],
  ])('reads %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'soon', '1y', '-5s', '1 d x'])('rejects %p', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it('formats whole units back', () => {
    expect(formatDuration(86_400_000)).toBe('1d');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1500)).toBe('1500ms');
  });
});
