/**
 * What docs/CONFIGURATION.md says of each variable, kept beside its schema in a zod registry: its
 * section, meaning, form and default. ./variables.ts declares every variable through `variable()`.
 */
import { z } from 'zod';
import { ENTITY_NAMES } from '../entities/catalog.js';
import { formDocs } from './forms.js';

/** The groups of .env.example, in its order, with what it says of each group as a whole. */
export const SECTIONS = {
  database: { title: 'Database' },
  auth: {
    title: 'CXone authentication',
    note: 'One of the two: an access key, or the OpenID password grant. The access-key pair also works as a password grant: the access key id as `CXONE_USERNAME` and its secret as `CXONE_PASSWORD`.',
  },
  endpoints: { title: 'CXone endpoints' },
  rate: { title: "The API's rate rule" },
  entities: { title: 'Entities', note: `The entities: ${ENTITY_NAMES.map((e) => `\`${e}\``).join(', ')}.` },
  windows: { title: 'Windows' },
  runLimits: { title: 'Run limits' },
  service: { title: 'Service (cxone-etl daemon)' },
  freshness: { title: 'Freshness and notifications' },
  privacy: {
    title: 'Personal data',
    note: 'Hashing, dropping and retention of personal data; docs/OPERATIONS.md, "Personal data", says what each entity holds and recommends a policy.',
  },
  testing: { title: 'Testing only' },
  logging: { title: 'Logging' },
} as const satisfies Record<string, { title: string; note?: string }>;

export type Section = keyof typeof SECTIONS;

export interface VariableDoc {
  readonly section: Section;
  readonly description: string;
  /** What a value looks like (from the schema's form). */
  readonly form: string;
  /** The value used when unset, as written in .env (from the schema's prefault). */
  readonly default: string | undefined;
  /** What unset means in words, where that says more than the default value. */
  readonly unset: string | undefined;
}

export const variableDocs = z.registry<VariableDoc>();

type EnvSchema = z.ZodType<unknown, string | undefined>;

/** A variable: its schema (a form from ./forms.ts, with `.prefault(text)`, `.default()` or `.optional()`). */
export function variable<S extends EnvSchema>(
  section: Section,
  schema: S,
  doc: { description: string; unset?: string },
): S {
  const inner = schema instanceof z.ZodPrefault || schema instanceof z.ZodDefault ? schema.unwrap() : schema;
  const bare = inner instanceof z.ZodOptional ? inner.unwrap() : inner;
  const form = formDocs.get(bare as z.ZodType)?.form;
  if (form === undefined) throw new Error(`config variable in ${section}: its schema has no form`);
  const fallback = schema instanceof z.ZodPrefault ? String(schema.def.defaultValue) : undefined;
  variableDocs.add(schema, { ...doc, section, form, default: fallback, unset: doc.unset });
  return schema;
}
