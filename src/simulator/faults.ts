/**
 * Fault decisions: whether this call, job or download gets a fault, and which. Counters are kept per
 * fault setting (by object identity), so `setOptions({ faults: { download: { mode: 'html', count: 1 } } })`
 * mid-run starts a fresh count. To add a fault: a field in FaultOptions, a decision method here, and
 * the one place that applies it.
 */
import type { EntityName } from '../entities/catalog.js';
import type {
  CreatedThenFailFault,
  DownloadFault,
  DownloadFaultMode,
  FaultOptions,
  Http5xxFault,
  JobFaultOutcome,
  PostRefusedFault,
  JobOutcomeFault,
} from './options.js';
import { seededRandom, type Random } from './csv/prng.js';

export interface Injected5xx {
  status: number;
  html: boolean;
}

export interface InjectedOutcome {
  outcome: JobFaultOutcome;
  errorMessage: string | undefined;
}

export interface InjectedDownloadFault {
  mode: DownloadFaultMode;
  contentEncoding: boolean;
}

const DEFAULT_ERROR_MESSAGES: Record<JobFaultOutcome, string> = {
  FAILED: 'Job failed: an internal error occurred while extracting the data. Please try again.',
  CANCELLED: 'Job was cancelled.',
  EXPIRED: 'The extracted file has expired.',
};

interface Counter {
  seen: number;
  injected: number;
}

export class FaultInjector {
  private random: Random;
  private seed: string;
  private counters = new WeakMap<object, Counter>();
  /** String-valued download settings have no identity of their own; keyed by the faults object. */
  private readonly stringDownload = new WeakMap<object, DownloadFault>();

  constructor(seed: string) {
    this.seed = seed;
    this.random = seededRandom(seed);
  }

  /** Re-seeds when setOptions changes the seed, so a run is reproducible from its settings. */
  reseed(seed: string): void {
    if (seed === this.seed) return;
    this.seed = seed;
    this.random = seededRandom(seed);
  }

  http5xx(faults: FaultOptions): Injected5xx | undefined {
    const fault: Http5xxFault | undefined = faults.http5xx;
    if (!fault) return undefined;
    const counter = this.counterFor(fault);
    counter.seen += 1;
    if (fault.count !== undefined && counter.injected >= fault.count) return undefined;
    const byNth = fault.everyNth !== undefined && fault.everyNth > 0 && counter.seen % fault.everyNth === 0;
    const byChance = fault.probability !== undefined && this.random() < fault.probability;
    const always = fault.everyNth === undefined && fault.probability === undefined;
    if (!byNth && !byChance && !always) return undefined;
    counter.injected += 1;
    return { status: fault.status ?? 503, html: fault.html ?? false };
  }

  /** Decided once, when the job is created: the job then keeps its fate however often it is polled. */
  jobOutcome(faults: FaultOptions, entity: EntityName): InjectedOutcome | undefined {
    const rules: JobOutcomeFault[] = faults.jobOutcome === undefined ? [] : [faults.jobOutcome].flat();
    for (const rule of rules) {
      if (rule.entities && !rule.entities.includes(entity)) continue;
      const counter = this.counterFor(rule);
      if (rule.count !== undefined && counter.injected >= rule.count) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      counter.injected += 1;
      return {
        outcome: rule.outcome,
        errorMessage: rule.errorMessage ?? DEFAULT_ERROR_MESSAGES[rule.outcome],
      };
    }
    return undefined;
  }

  /** Decided per job POST, after the job was created. */
  createdThenFail(faults: FaultOptions): { status: number; cutOff: boolean } | undefined {
    const fault: CreatedThenFailFault | undefined = faults.createdThenFail;
    if (!fault) return undefined;
    const counter = this.counterFor(fault);
    if (fault.count !== undefined && counter.injected >= fault.count) return undefined;
    counter.injected += 1;
    return { status: fault.status ?? 504, cutOff: fault.cutOff ?? false };
  }

  /** Decided per job POST before a job is created; `running` says whether another job of the tenant runs. */
  postRefused(
    faults: FaultOptions,
    running: boolean,
  ): { status: number; retryAfterSeconds: number } | undefined {
    const fault: PostRefusedFault | undefined = faults.postRefused;
    if (!fault || (fault.whileRunning !== false && !running)) return undefined;
    const counter = this.counterFor(fault);
    counter.seen += 1;
    if (fault.count !== undefined && counter.injected >= fault.count) return undefined;
    if (fault.everyNth !== undefined && fault.everyNth > 0 && counter.seen % fault.everyNth !== 0)
      return undefined;
    counter.injected += 1;
    return { status: fault.status ?? 503, retryAfterSeconds: fault.retryAfterSeconds ?? 1 };
  }

  download(faults: FaultOptions): InjectedDownloadFault | undefined {
    const setting = faults.download;
    if (setting === undefined) return undefined;
    const fault = typeof setting === 'string' ? this.wrapString(faults, setting) : setting;
    const counter = this.counterFor(fault);
    if (fault.count !== undefined && counter.injected >= fault.count) return undefined;
    counter.injected += 1;
    return { mode: fault.mode, contentEncoding: fault.contentEncoding ?? false };
  }

  malformedStatus(faults: FaultOptions): boolean {
    const setting = faults.malformedStatusJson;
    if (!setting) return false;
    if (setting === true) return true;
    const counter = this.counterFor(setting);
    if (counter.injected >= setting.count) return false;
    counter.injected += 1;
    return true;
  }

  reset(): void {
    this.counters = new WeakMap();
    this.random = seededRandom(this.seed);
  }

  private wrapString(faults: FaultOptions, mode: DownloadFaultMode): DownloadFault {
    let wrapped = this.stringDownload.get(faults);
    if (!wrapped || wrapped.mode !== mode) {
      wrapped = { mode };
      this.stringDownload.set(faults, wrapped);
    }
    return wrapped;
  }

  private counterFor(key: object): Counter {
    let counter = this.counters.get(key);
    if (!counter) {
      counter = { seen: 0, injected: 0 };
      this.counters.set(key, counter);
    }
    return counter;
  }
}
