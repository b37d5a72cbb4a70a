/**
 * The example queries of docs/REPORTING.md, runnable against any REPORTING_SCHEMA: the demo prints one,
 * and the reporting tests run them all, so the docs cannot drift from what the views hold.
 */
import pg from 'pg';
import type { Queryable } from '../db/pool.js';

export type ExampleQueryName =
  'calls-per-agent-per-day' | 'evaluation-scores-per-form' | 'weakest-questions' | 'paid-hours-per-week';

export interface ExampleQuery {
  name: ExampleQueryName;
  title: string;
  /** SQL with `cxone.` as the reporting schema, as the docs show it. */
  sql: string;
}

export const EXAMPLE_QUERIES: readonly ExampleQuery[] = Object.freeze([
  {
    name: 'calls-per-agent-per-day',
    title: 'Calls per agent per day (recordings; days in Seoul time)',
    // A call has one row per segment and may pass through several agents: count distinct calls.
    sql: `SELECT (start_date AT TIME ZONE 'Asia/Seoul')::date AS day,
       agent_1_name AS agent,
       count(DISTINCT acd_call_id) AS calls,
       to_char(sum(duration), 'HH24:MI:SS') AS talk_time
  FROM cxone.recording_interaction_metadata
 GROUP BY 1, 2
 ORDER BY day DESC, calls DESC, agent
 LIMIT 10;`,
  },
  {
    name: 'evaluation-scores-per-form',
    title: 'Evaluation scores per form, each evaluation once at its latest score (qm-workflows)',
    // The current view: a re-scored evaluation comes back under the same workflow id.
    sql: `SELECT form_name,
       count(*) AS evaluations,
       round(avg(score_percentage), 1) AS avg_score_pct,
       round(100.0 * count(*) FILTER (WHERE score_percentage >= 80) / count(*), 1) AS pct_80_or_more,
       count(*) FILTER (WHERE failed_critical_question) AS critical_failures
  FROM cxone.qm_workflows_current
 GROUP BY form_name
 ORDER BY evaluations DESC, form_name;`,
  },
  {
    name: 'weakest-questions',
    title: 'Average score per question, lowest first (qm-questions)',
    sql: `SELECT form_name, question_number, question_title,
       round(avg(actual_score / nullif(max_score, 0)) * 100, 1) AS avg_pct
  FROM cxone.qm_questions_current
 WHERE scorable
 GROUP BY 1, 2, 3
 ORDER BY avg_pct, form_name, question_number
 LIMIT 10;`,
  },
  {
    name: 'paid-hours-per-week',
    title: "Approved paid hours per payroll code and week (wfm-payroll; the schedule unit's dates)",
    sql: `SELECT date_trunc('week', payroll_date)::date AS week, payroll_code, sum(hours) AS hours
  FROM cxone.wfm_payroll
 WHERE paid AND approval_status = 'Approved'
 GROUP BY 1, 2
 ORDER BY week DESC, hours DESC, payroll_code;`,
  },
]);

export interface ExampleResult {
  title: string;
  /** The SQL as run (with the configured schema). */
  sql: string;
  columns: string[];
  /** Every value as text, ready for formatTable. */
  rows: string[][];
}

/** The query with `cxone.` replaced by the configured schema. */
export function exampleSql(name: ExampleQueryName, reportingSchema: string): string {
  const query = EXAMPLE_QUERIES.find((q) => q.name === name);
  if (!query) throw new RangeError(`no example query ${name}`);
  return query.sql.replace(/\bcxone\./g, `${pg.escapeIdentifier(reportingSchema)}.`);
}

export async function runExampleQuery(
  db: Queryable,
  name: ExampleQueryName,
  opts: { reportingSchema: string },
): Promise<ExampleResult> {
  const sql = exampleSql(name, opts.reportingSchema);
  // Every value as Postgres writes it: a date stays 2026-03-15 instead of a local-midnight Date.
  const result = await db.query<Record<string, string | null>>({
    text: sql,
    types: { getTypeParser: () => asText },
  });
  const columns = result.fields.map((f) => f.name);
  return {
    title: EXAMPLE_QUERIES.find((q) => q.name === name)?.title ?? name,
    sql,
    columns,
    rows: result.rows.map((r) => columns.map((c) => r[c] ?? '-')),
  };
}

const asText = (value: string): string => value;
