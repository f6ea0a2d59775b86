/**
 * Gauntlet's built-in load script: GET one URL, and count every request under the version
 * the service says it runs (the X-Version response header), so that a canary's requests and
 * the stable's are measured apart. Options (the profile) come from Gauntlet.
 */
import http from 'k6/http';
import { Rate, Trend } from 'k6/metrics';

const duration = new Trend('gauntlet_req', true);
const failed = new Rate('gauntlet_req_failed');
const url = __ENV.GAUNTLET_URL ?? 'http://127.0.0.1:8080/';

export const options = { discardResponseBodies: true };

export default function (): void {
  const res = http.get(url);
  const version = res.headers['X-Version'];
  const tags: Record<string, string> = version ? { version } : {};
  duration.add(res.timings.duration, tags);
  failed.add(res.status === 0 || res.status >= 400, tags);
}
