/** Report formats for `policies check`, keyed by name; adding a format is adding a file and a line. */
import type { PolicyCheckResult } from '../check.ts';
import { renderJson, renderJsonChunks } from './json.ts';
export { JSON_PIECE } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './md.ts';
import { renderSarif } from './sarif.ts';
import { renderText } from './text.ts';

export const POLICY_FORMATS = ['text', 'json', 'junit', 'sarif', 'md'] as const;
export type PolicyFormat = (typeof POLICY_FORMATS)[number];

const renderers: Record<PolicyFormat, (r: PolicyCheckResult) => string> = {
  text: renderText, json: renderJson, junit: renderJunit, sarif: renderSarif, md: renderMarkdown,
};

export function renderPolicyCheck(r: PolicyCheckResult, format: PolicyFormat): string {
  return renderers[format](r);
}

/** The report as pieces to write one after the other (JSON is rendered a workload at a time; the others at once). */
export function renderPolicyCheckChunks(r: PolicyCheckResult, format: PolicyFormat): Iterable<string> {
  return format === 'json' ? renderJsonChunks(r) : [renderers[format](r)];
}
