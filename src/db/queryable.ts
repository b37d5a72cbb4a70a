import type pg from 'pg';

/** What a repository function needs: a pool, a checked-out client or a client in a transaction. */
export type Queryable = Pick<pg.ClientBase, 'query'>;
