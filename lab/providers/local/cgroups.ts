/**
 * cgroup v1 housekeeping for the kubelets' cgroup roots (/gauntlet-lab/<node> in every
 * hierarchy): created before kubelets start, emptied and removed by `lab down`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CG = '/sys/fs/cgroup';

/** Mounted v1 hierarchies (cpu, memory, pids, ..., systemd); the cgroup2 "unified" mount is left alone. */
export function hierarchies(): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const parts = line.split(' ');
    const sep = parts.indexOf('-');
    if (sep > 0 && parts[sep + 1] === 'cgroup' && parts[4]?.startsWith(`${CG}/`)) out.push(parts[4]);
  }
  return out;
}

export function ensureCgroup(path: string): void {
  for (const h of hierarchies()) {
    let cur = h;
    for (const part of path.split('/').filter(Boolean)) {
      const parent = cur;
      cur = join(cur, part);
      if (existsSync(cur)) continue;
      mkdirSync(cur);
      // A v1 cpuset child starts empty and refuses tasks until it inherits cpus and mems.
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        if (existsSync(join(parent, f))) writeFileSync(join(cur, f), readFileSync(join(parent, f)));
      }
    }
  }
}

function walk(dir: string, out: string[]): void {
  out.push(dir);
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name), out);
}

/** Every pid in the subtree at `path` (in any hierarchy). */
export function cgroupPids(path: string): number[] {
  const pids = new Set<number>();
  for (const h of hierarchies()) {
    const root = join(h, path);
    if (!existsSync(root)) continue;
    const dirs: string[] = [];
    walk(root, dirs);
    for (const d of dirs) {
      try {
        for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l) pids.add(Number(l));
      } catch {
        /* vanished */
      }
    }
  }
  return [...pids];
}

/** Remove the subtree at `path` in every hierarchy, deepest first; returns what could not be removed. */
export function removeCgroup(path: string): string[] {
  const left: string[] = [];
  for (const h of hierarchies()) {
    const root = join(h, path);
    if (!existsSync(root)) continue;
    const dirs: string[] = [];
    walk(root, dirs);
    for (const d of dirs.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        left.push(d);
      }
    }
  }
  return left;
}

export function cgroupExists(path: string): boolean {
  return hierarchies().some((h) => existsSync(join(h, path)));
}
