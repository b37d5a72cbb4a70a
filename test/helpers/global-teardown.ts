/** The other half of global-setup.ts, which left it in a global (jest runs both in its parent process). */
export default async function globalTeardown(): Promise<void> {
  const key = Symbol.for('cxone-etl.test-db.teardown');
  const tearDown = (globalThis as Record<symbol, (() => Promise<void>) | undefined>)[key];
  await tearDown?.();
}
