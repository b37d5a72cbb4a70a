/** RFC 4180 field quoting: only fields holding a comma, quote, CR or LF are quoted; quotes are doubled. */
const NEEDS_QUOTES = /[",\r\n]/;
const QUOTE = /"/g;

export function encodeCsvField(field: string): string {
  return NEEDS_QUOTES.test(field) ? `"${field.replace(QUOTE, '""')}"` : field;
}

/** One record followed by `lineEnding`. */
export function encodeCsvLine(fields: readonly string[], lineEnding: string): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) line += ',';
    line += encodeCsvField(fields[i] as string);
  }
  return line + lineEnding;
}
