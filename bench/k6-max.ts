/**
 * The bench's k6 script: as many GETs as a fixed VU pool can make, the same file for bare k6
 * and for k6 under Gauntlet.
 */
import http from 'k6/http';
import type { Options } from 'k6/options';

export const options: Options = {
  vus: Number(__ENV.VUS ?? 32),
  duration: __ENV.DURATION ?? '15s',
  discardResponseBodies: true,
};

export default function (): void {
  http.get(__ENV.TARGET_URL ?? 'http://127.0.0.1:8080/');
}
