/**
 * The per-tenant gate: "one caller per tenant at a time; one API call per 30 seconds" (SEED).
 * `enter` is called when a gated request arrives; an accepted call holds the tenant until `release`.
 * The gate only judges; the caller answers the violation and records it.
 */
import type { ViolationKind } from './stats.js';

export interface GateRules {
  /** Already scaled by timeScale. */
  minCallIntervalMs: number;
  singleCallInFlight: boolean;
  violationCountsAsCall: boolean;
}

export type GateDecision =
  | { ok: true; release: () => void }
  | {
      ok: false;
      kind: ViolationKind;
      sinceLastCallMs: number | undefined;
      /** How long until a call would be accepted on interval grounds (for Retry-After). */
      retryAfterMs: number;
    };

interface TenantGate {
  inFlight: number;
  lastCallStart: number | undefined;
}

export class RateGate {
  private gates = new Map<string, TenantGate>();

  enter(tenant: string, now: number, rules: GateRules): GateDecision {
    const gate = this.gateFor(tenant);
    const sinceLastCallMs = gate.lastCallStart === undefined ? undefined : now - gate.lastCallStart;
    let kind: ViolationKind | undefined;
    if (rules.singleCallInFlight && gate.inFlight > 0) kind = 'in-flight';
    else if (sinceLastCallMs !== undefined && sinceLastCallMs < rules.minCallIntervalMs) kind = 'interval';

    if (kind !== undefined) {
      // Harsher reading (default): a refused call is still a call, so a client that hammers never gets in.
      if (rules.violationCountsAsCall) gate.lastCallStart = now;
      const from = gate.lastCallStart ?? now;
      return {
        ok: false,
        kind,
        sinceLastCallMs,
        retryAfterMs: Math.max(0, from + rules.minCallIntervalMs - now),
      };
    }

    gate.lastCallStart = now;
    gate.inFlight += 1;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        gate.inFlight -= 1;
      },
    };
  }

  reset(): void {
    this.gates = new Map();
  }

  private gateFor(tenant: string): TenantGate {
    let gate = this.gates.get(tenant);
    if (!gate) {
      gate = { inFlight: 0, lastCallStart: undefined };
      this.gates.set(tenant, gate);
    }
    return gate;
  }
}
