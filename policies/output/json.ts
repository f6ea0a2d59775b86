import type { PolicyCheckResult } from '../check.ts';

export const POLICY_CHECK_SCHEMA = 'https://gauntlet.dev/schema/policy-check.v1.json';

/** The result as published in policies/schema/policy-check.schema.json. */
export function renderJson(r: PolicyCheckResult): string {
  return JSON.stringify({ $schema: POLICY_CHECK_SCHEMA, ...r }, null, 2) + '\n';
}
