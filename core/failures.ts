/**
 * Why a request failed, in a few causes a person can act on. Every producer of samples and
 * windows (probes, k6) classifies with these, so reports can break failures down by cause per
 * step and phase ("62 % connection refused, 38 % HTTP 503").
 */
export const FAILURE_CAUSES = ['http-4xx', 'http-5xx', 'http-other', 'refused', 'timeout', 'reset', 'dns', 'tls', 'no-response', 'late', 'other'] as const;
export type FailureCause = (typeof FAILURE_CAUSES)[number];

/** What each cause means, for reports. */
export const FAILURE_CAUSE_DEFINITIONS: Record<FailureCause, string> = {
  'http-4xx': 'the service answered with a 4xx status',
  'http-5xx': 'the service answered with a 5xx status',
  'http-other': 'the service answered with a status the check does not expect',
  refused: 'connection refused: the packet reached the host but nothing accepted it',
  timeout: 'no answer within the request timeout',
  reset: 'the connection was reset or closed mid-request',
  dns: 'the name did not resolve',
  tls: 'the TLS handshake failed',
  'no-response': 'no HTTP response for another network reason',
  late: 'the request could not be sent on schedule (the checker was saturated); counted as failed',
  other: 'any other failure',
};

/** Classify from an HTTP status (0 = none) and an error text (Node's or k6's message). */
export function failureCause(status: number, error?: string): FailureCause {
  if (status >= 500) return 'http-5xx';
  if (status >= 400) return 'http-4xx';
  if (status > 0 && !error) return 'http-other';
  const e = (error ?? '').toLowerCase();
  if (/econnrefused|connection refused/.test(e)) return 'refused';
  if (/timeout|timed out|etimedout|aborted due to timeout/.test(e)) return 'timeout';
  if (/econnreset|reset by peer|socket hang up|epipe|broken pipe|other side closed/.test(e)) return 'reset';
  if (/enotfound|eai_again|no such host|lookup/.test(e)) return 'dns';
  if (/tls|certificate|ssl/.test(e)) return 'tls';
  if (status > 0) return 'http-other';
  if (e) return 'no-response';
  return 'other';
}
