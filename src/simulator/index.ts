/** The CXone Data Extraction API simulator: `startSimulator(options)` for tests, the demo and `cxone-etl sim`. */
export { startSimulator, type Simulator } from './server.js';
export {
  DEFAULT_SIMULATOR_OPTIONS,
  DEFAULT_TENANT,
  STRICT_SIMULATOR_OPTIONS,
  type BodyOverrideJob,
  type DownloadFault,
  type DownloadFaultMode,
  type FaultOptions,
  type Http5xxFault,
  type PostRefusedFault,
  type JobFaultOutcome,
  type JobOutcomeFault,
  type SimulatorOptions,
  type SimulatorTenant,
} from './options.js';
export type { CreatedJob, EndpointKey, SimulatorStats, ViolationDetail, ViolationKind } from './stats.js';
export type { JobStatus } from './jobs.js';
