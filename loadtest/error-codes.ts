/**
 * k6's `error_code` tag → core/failures.ts causes. The codes are k6's (lib/netext/httpext
 * error_codes.go, stable since v0.24): 1000 generic, 1010 non-TCP network, 1020 invalid URL,
 * 1050 request timeout, 11xx DNS, 1200 TCP, 1201 broken pipe, 1202 unknown errno, 1210 dial,
 * 1211 dial timeout, 1212 dial refused, 1213 dial unknown errno, 1220 reset by peer, 13xx TLS,
 * 1400-1499 HTTP 4xx, 1500-1599 HTTP 5xx, 16xx HTTP/2 errors, 17xx response decompression.
 */
import { failureCause, type FailureCause } from '../core/failures.ts';

export function k6FailureCause(status: number, errorCode: string | undefined): FailureCause {
  if (status >= 400) return failureCause(status);
  const code = Number(errorCode ?? 0);
  if (!code) return status > 0 ? 'http-other' : 'other';
  if (code >= 1400 && code < 1500) return 'http-4xx';
  if (code >= 1500 && code < 1600) return 'http-5xx';
  if (code === 1050 || code === 1211) return 'timeout';
  if (code >= 1100 && code < 1200) return 'dns';
  if (code === 1212) return 'refused';
  if (code === 1201 || code === 1220) return 'reset';
  if (code >= 1300 && code < 1400) return 'tls';
  if (code >= 1600 && code < 1700) return 'reset';
  if (code === 1010 || (code >= 1200 && code < 1300)) return 'no-response';
  return 'other';
}
