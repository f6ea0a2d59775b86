package main

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	netv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// World is what the renderer needs from the cluster, already read from informers.
type World struct {
	Node       string
	Pods       []*corev1.Pod
	Namespaces []*corev1.Namespace
	Policies   []*netv1.NetworkPolicy
}

func live(p *corev1.Pod) bool {
	return p.Status.PodIP != "" && !p.Spec.HostNetwork &&
		p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed
}

func selects(sel *metav1.LabelSelector, lbls map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(labels.Set(lbls))
}

func hasType(np *netv1.NetworkPolicy, t netv1.PolicyType) bool {
	if len(np.Spec.PolicyTypes) == 0 { // the API's defaulting rule
		return t == netv1.PolicyTypeIngress || len(np.Spec.Egress) > 0
	}
	for _, x := range np.Spec.PolicyTypes {
		if x == t {
			return true
		}
	}
	return false
}

// peerIPs: addresses of live pods a (non-ipBlock) peer selects, seen from a policy in ns.
func (w *World) peerPods(ns string, peer netv1.NetworkPolicyPeer) []*corev1.Pod {
	nsOK := map[string]bool{}
	if peer.NamespaceSelector == nil {
		nsOK[ns] = true
	} else {
		for _, n := range w.Namespaces {
			if selects(peer.NamespaceSelector, n.Labels) {
				nsOK[n.Name] = true
			}
		}
	}
	var out []*corev1.Pod
	for _, p := range w.Pods {
		if !live(p) || !nsOK[p.Namespace] {
			continue
		}
		if peer.PodSelector == nil || selects(peer.PodSelector, p.Labels) {
			out = append(out, p)
		}
	}
	return out
}

func proto(pp netv1.NetworkPolicyPort) string {
	if pp.Protocol == nil {
		return "tcp"
	}
	return strings.ToLower(string(*pp.Protocol))
}

// portMatch renders one policy port against a pod whose container ports resolve named ports.
// ok=false means the port cannot match this pod (an unknown name).
func portMatch(pp netv1.NetworkPolicyPort, target *corev1.Pod) (string, bool) {
	pr := proto(pp)
	if pp.Port == nil {
		return "meta l4proto " + pr, true
	}
	if pp.Port.Type == 0 { // int
		if pp.EndPort != nil {
			return fmt.Sprintf("%s dport %d-%d", pr, pp.Port.IntVal, *pp.EndPort), true
		}
		return fmt.Sprintf("%s dport %d", pr, pp.Port.IntVal), true
	}
	if target == nil {
		return "", false
	}
	for _, c := range target.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == pp.Port.StrVal && strings.ToLower(string(cp.Protocol)) == pr {
				return fmt.Sprintf("%s dport %d", pr, cp.ContainerPort), true
			}
		}
	}
	return "", false
}

// addrMatch is a match on the far end: "ip daddr" for egress, "ip saddr" for ingress.
type rule struct{ far, port string }

func (w *World) peerRules(ns string, peers []netv1.NetworkPolicyPeer, ports []netv1.NetworkPolicyPort, dir string, local *corev1.Pod) []rule {
	field := "ip daddr"
	if dir == "in" {
		field = "ip saddr"
	}
	type far struct {
		match string
		pod   *corev1.Pod // the far pod, for named egress ports
	}
	var fars []far
	if len(peers) == 0 {
		fars = append(fars, far{match: ""})
	}
	for _, peer := range peers {
		if peer.IPBlock != nil {
			if strings.Contains(peer.IPBlock.CIDR, ":") {
				continue // IPv6 matches no IPv4 traffic, and "ip daddr <v6>" would make nft reject the whole table
			}
			m := field + " " + peer.IPBlock.CIDR
			if len(peer.IPBlock.Except) > 0 {
				m += " " + field + " != { " + strings.Join(peer.IPBlock.Except, ", ") + " }"
			}
			fars = append(fars, far{match: m})
			continue
		}
		for _, p := range w.peerPods(ns, peer) {
			fars = append(fars, far{match: field + " " + p.Status.PodIP, pod: p})
		}
	}
	var out []rule
	for _, f := range fars {
		if len(ports) == 0 {
			out = append(out, rule{far: f.match})
			continue
		}
		for _, pp := range ports {
			target := f.pod // egress: ports are on the destination
			if dir == "in" {
				target = local // ingress: ports are on the local pod
			}
			if m, ok := portMatch(pp, target); ok {
				out = append(out, rule{far: f.match, port: m})
			} else if dir == "out" && len(peers) == 0 {
				// A named egress port with no peers: every destination pod that names it, each its own number.
				for _, p := range w.Pods {
					if m, ok := portMatch(pp, p); ok && live(p) {
						out = append(out, rule{far: field + " " + p.Status.PodIP, port: m})
					}
				}
			}
		}
	}
	return out
}

// Render returns the whole nftables table for the pods on w.Node, applied atomically by nft -f.
func Render(w *World, table string) string {
	var local []*corev1.Pod
	for _, p := range w.Pods {
		if p.Spec.NodeName == w.Node && live(p) {
			local = append(local, p)
		}
	}
	sort.Slice(local, func(i, j int) bool { return local[i].Namespace+"/"+local[i].Name < local[j].Namespace+"/"+local[j].Name })

	var jumps, chains []string
	for i, p := range local {
		for _, dir := range []string{"in", "out"} {
			t := netv1.PolicyTypeIngress
			if dir == "out" {
				t = netv1.PolicyTypeEgress
			}
			isolated := false
			var body []string
			for _, np := range w.Policies {
				if np.Namespace != p.Namespace || !hasType(np, t) || !selects(&np.Spec.PodSelector, p.Labels) {
					continue
				}
				isolated = true
				var rs []rule
				if dir == "in" {
					for _, r := range np.Spec.Ingress {
						rs = append(rs, w.peerRules(np.Namespace, r.From, r.Ports, dir, p)...)
					}
				} else {
					for _, r := range np.Spec.Egress {
						rs = append(rs, w.peerRules(np.Namespace, r.To, r.Ports, dir, p)...)
					}
				}
				for _, r := range rs {
					body = append(body, strings.TrimSpace(r.far+" "+r.port)+" return")
				}
			}
			if !isolated {
				continue
			}
			name := fmt.Sprintf("%s-%d", dir, i)
			field := "ip daddr"
			if dir == "out" {
				field = "ip saddr"
			}
			comment := fmt.Sprintf("%s/%s", p.Namespace, p.Name)
			jumps = append(jumps, fmt.Sprintf("%s %s jump %s comment %q", field, p.Status.PodIP, name, comment))
			body = append(body, "counter drop")
			chains = append(chains, fmt.Sprintf("  chain %s {\n    %s\n  }", name, strings.Join(body, "\n    ")))
		}
	}

	var b strings.Builder
	// Declaring then deleting makes the replace atomic and work whether or not the table exists.
	fmt.Fprintf(&b, "table inet %s\ndelete table inet %s\ntable inet %s {\n", table, table, table)
	for _, hook := range []string{"forward", "input"} {
		fmt.Fprintf(&b, "  chain %s {\n    type filter hook %s priority -10; policy accept;\n    ct state established,related accept\n", hook, hook)
		for _, j := range jumps {
			if hook == "input" && strings.HasPrefix(j, "ip daddr") {
				continue // traffic to the node itself has no pod destination
			}
			b.WriteString("    " + j + "\n")
		}
		b.WriteString("  }\n")
	}
	for _, c := range chains {
		b.WriteString(c + "\n")
	}
	b.WriteString("}\n")
	return b.String()
}
