/** Load testing with k6 under Gauntlet. */
export { profileSchema, stagesOf, toK6Scenarios, type Profile, type ProfileInput, type Stage } from './profiles.ts';
export { gatesToThresholds, thresholdsToGates } from './thresholds.ts';
export { surgeVerdict, capacityVerdict, DEFAULT_SLO, type Slo } from './verdict.ts';
export { findK6, type K6Binary } from './k6.ts';
