import { EtlError } from '../lib/errors.js';

/** A bad configuration value: one line naming the variable and the form it expects (the CLI exits 2). */
export class ConfigError extends EtlError {
  constructor(
    readonly variable: string,
    expected: string,
    got: string | undefined,
  ) {
    super(
      'CONFIG',
      `${variable}: expected ${expected}${got === undefined ? ' (not set)' : `, got ${quote(got)}`}`,
    );
  }
}

function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}
