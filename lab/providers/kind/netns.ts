/** Network namespaces of the kind provider's world hosts, on the kind bridge. */
import { existsSync, readdirSync } from 'node:fs';
import { KIND } from './config.ts';
import { run, tryRun } from '../local/sh.ts';

export async function ensureNetns(name: string, ip: string, hostIf: string): Promise<void> {
  if (!existsSync(`/run/netns/${name}`)) await run('ip', ['netns', 'add', name]);
  const ns = ['-n', name];
  if (!(await tryRun('ip', [...ns, 'link', 'show', 'eth0']))) {
    await tryRun('ip', ['link', 'del', hostIf]);
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
  }
  await run('ip', ['link', 'set', hostIf, 'master', KIND.bridge, 'up']);
  await tryRun('ip', [...ns, 'addr', 'add', `${ip}/${KIND.prefix}`, 'dev', 'eth0']);
  await run('ip', [...ns, 'link', 'set', 'lo', 'up']);
  await run('ip', [...ns, 'link', 'set', 'eth0', 'up']);
}

export function labNetnsWith(prefix: string): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}
