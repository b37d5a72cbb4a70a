/**
 * A value that must never reach a log, an error message, the status table or JSON output.
 * Printing, string-concatenating, JSON-serialising or util.inspect-ing it yields "[Redacted]";
 * only `reveal()` gives the value, and only the code that sends it to CXone calls that.
 */
const REDACTED = '[Redacted]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}
