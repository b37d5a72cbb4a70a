/**
 * One tenant's effective Config: the global settings with that tenant's credentials and overrides
 * from TENANTS_FILE laid over them. The result is frozen like the global config.
 */
import { ENTITIES } from '../entities/catalog.js';
import type { Config, EntitySettings } from '../config.js';
import type { TenantConfig } from './tenants-file.js';

export function configForTenant(base: Config, tenant: TenantConfig): Config {
  const o = tenant.overrides;
  const entities: readonly EntitySettings[] = o.entities
    ? o.entities.map((name) => {
        const configured = base.extract.entities.find((e) => e.name === name);
        const def = ENTITIES.find((e) => e.name === name);
        return (
          configured ??
          Object.freeze({
            name,
            version: def?.defaultVersion ?? '1',
            dateFormat: def?.dateFormat ?? 'date',
            endDateInclusive: false,
          })
        );
      })
    : base.extract.entities;
  const issuerUrl = o.issuerUrl ?? base.cxone.issuerUrl;
  return Object.freeze({
    ...base,
    cxone: Object.freeze({
      ...base.cxone,
      issuerUrl,
      authBaseUrl: o.authBaseUrl ?? (o.issuerUrl ? issuerUrl : base.cxone.authBaseUrl),
      apiBaseUrl: o.apiBaseUrl ?? base.cxone.apiBaseUrl,
      credentials: tenant.credentials,
      tenantId: tenant.tenantId ?? base.cxone.tenantId,
      minCallIntervalMs: o.minCallIntervalMs ?? base.cxone.minCallIntervalMs,
    }),
    extract: Object.freeze({
      ...base.extract,
      entities: Object.freeze([...entities]),
      startDate: o.startDate ?? base.extract.startDate,
      windowMs: o.windowMs ?? base.extract.windowMs,
      backfillWindowMs: o.backfillWindowMs ?? base.extract.backfillWindowMs,
      lookbackMs: o.lookbackMs ?? base.extract.lookbackMs,
    }),
  });
}
