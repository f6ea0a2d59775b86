/**
 * A k6 script written the usual way (VUs, checks, thresholds), to show that a script runs under
 * Gauntlet unchanged: its thresholds become gates and its requests become journal windows.
 */
import http from 'k6/http';
import { check, sleep } from 'k6';
import type { Options } from 'k6/options';

export const options: Options = {
  vus: 2,
  duration: '5s',
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<500'],
  },
};

export default function (): void {
  const res = http.get(__ENV.TARGET_URL ?? 'http://127.0.0.1:8080/');
  check(res, { 'status is 200': (r) => r.status === 200 });
  sleep(0.1);
}
