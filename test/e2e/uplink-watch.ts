/**
 * Watch the host's uplink (the default-route interface) for packets the lab sends off the machine:
 * an nftables table of counters that sees every packet routed (forwarded) out of the uplink, and
 * every packet leaving it with a lab source address, before any other rule can drop it. The
 * host's own traffic to package registries is neither (it is sent, not forwarded, from the
 * uplink's address), so the counters stay at zero unless the lab sent something out.
 */
import { $ } from 'zx';

const q = $({ quiet: true, verbose: false, nothrow: true });
const TABLE = 'gauntlet_uplink_watch';

export interface UplinkCounts {
  uplink: string;
  forwarded: number;
  fromLabSources: number;
}

export async function uplinkInterface(): Promise<string> {
  const r = await q`ip -o route show default`;
  const m = /\bdev (\S+)/.exec(r.stdout);
  if (!m) throw new Error(`no default route: ${r.stdout}`);
  return m[1]!;
}

export async function startUplinkWatch(labSources: string[]): Promise<void> {
  const dev = await uplinkInterface();
  await q`nft delete table inet ${TABLE}`;
  const rules = `table inet ${TABLE} {
  chain watch_forward {
    type filter hook forward priority -400; policy accept;
    oifname "${dev}" counter comment "forwarded"
  }
  chain watch_postrouting {
    type filter hook postrouting priority -400; policy accept;
    oifname "${dev}" ip saddr { ${labSources.join(', ')} } counter comment "lab-source"
  }
}
`;
  const r = await q({ input: rules })`nft -f -`;
  if (r.exitCode !== 0) throw new Error(`nft: ${r.stderr}`);
}

export async function readUplinkWatch(): Promise<UplinkCounts> {
  const r = await q`nft -j list table inet ${TABLE}`;
  if (r.exitCode !== 0) throw new Error(`the uplink watch is gone: ${r.stderr}`);
  const items = (JSON.parse(r.stdout) as { nftables: { rule?: { comment?: string; expr: { counter?: { packets: number } }[] } }[] }).nftables;
  const count = (c: string) => items.flatMap((i) => (i.rule?.comment === c ? i.rule.expr : [])).reduce((n, e) => n + (e.counter?.packets ?? 0), 0);
  return { uplink: await uplinkInterface(), forwarded: count('forwarded'), fromLabSources: count('lab-source') };
}

export async function stopUplinkWatch(): Promise<void> {
  await q`nft delete table inet ${TABLE}`;
}
