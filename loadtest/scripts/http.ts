/**
 * Gauntlet's built-in load script: GET one URL, and count every request under the version
 * the service says it runs (the X-Version response header, or the one GAUNTLET_VERSION_HEADER
 * names), so that a canary's requests and the stable's are measured apart. Options (the profile) come from Gauntlet.
 *
 * The version is only known from the response, after k6 tagged the request's own samples, so
 * the script records its own trend `gauntlet_req` with the labels Gauntlet's windows read
 * (version, status, error_code, expected_response, as k6 sets them on http_req_duration), and
 * the rate `gauntlet_req_failed` that hard gates become k6 thresholds on.
 */
import http from 'k6/http';
import { Rate, Trend } from 'k6/metrics';

const duration = new Trend('gauntlet_req', true);
const failed = new Rate('gauntlet_req_failed');
const url = __ENV.GAUNTLET_URL ?? 'http://127.0.0.1:8080/';
// k6 canonicalizes response header names (x-version -> X-Version).
const versionHeader = (__ENV.GAUNTLET_VERSION_HEADER ?? 'X-Version').toLowerCase().replace(/(^|-)([a-z])/g, (_m: string, d: string, c: string) => d + c.toUpperCase());

export const options = { discardResponseBodies: true };

export default function (): void {
  const res = http.get(url);
  const version = res.headers[versionHeader];
  const ok = res.status >= 200 && res.status < 400;
  const tags: Record<string, string> = version ? { version } : {};
  failed.add(!ok, tags);
  tags.status = String(res.status);
  tags.expected_response = String(ok);
  if (res.error_code) tags.error_code = String(res.error_code);
  duration.add(res.timings.duration, tags);
}
