// Command gauntlet-netpol enforces Kubernetes NetworkPolicy on one lab node: it watches pods,
// namespaces and policies and renders them into one nftables table in the node's network
// namespace. The lab uses it because kube-router and kube-network-policies are not available
// from the module proxy here; like kube-router, traffic from the node itself is always allowed.
package main

import (
	"bytes"
	"flag"
	"log"
	"os/exec"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig path")
	node := flag.String("node", "", "node whose pods this instance guards")
	table := flag.String("table", "gauntlet_netpol", "nftables table (inet family) to own")
	flag.Parse()
	if *node == "" {
		log.Fatal("-node is required")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	f := informers.NewSharedInformerFactory(cs, 0)
	pods, nss, nps := f.Core().V1().Pods(), f.Core().V1().Namespaces(), f.Networking().V1().NetworkPolicies()

	kick := make(chan struct{}, 1)
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { nudge(kick) },
		UpdateFunc: func(any, any) { nudge(kick) },
		DeleteFunc: func(any) { nudge(kick) },
	}
	for _, inf := range []cache.SharedIndexInformer{pods.Informer(), nss.Informer(), nps.Informer()} {
		if _, err := inf.AddEventHandler(h); err != nil {
			log.Fatal(err)
		}
	}
	stop := make(chan struct{})
	f.Start(stop)
	f.WaitForCacheSync(stop)
	log.Printf("netpol for node %s: caches synced", *node)

	var last string
	resync := time.NewTicker(30 * time.Second) // re-apply in case someone flushed the ruleset
	for {
		select {
		case <-kick:
			time.Sleep(100 * time.Millisecond) // batch bursts of events into one apply
		case <-resync.C:
			last = ""
		}
		drain(kick)
		w := &World{Node: *node}
		w.Pods, _ = pods.Lister().List(everything())
		w.Namespaces, _ = nss.Lister().List(everything())
		w.Policies, _ = nps.Lister().List(everything())
		ruleset := Render(w, *table)
		if ruleset == last {
			continue
		}
		cmd := exec.Command("nft", "-f", "-")
		cmd.Stdin = bytes.NewBufferString(ruleset)
		if out, err := cmd.CombinedOutput(); err != nil {
			log.Printf("nft failed: %v: %s\n%s", err, out, ruleset)
			continue
		}
		last = ruleset
		log.Printf("applied ruleset (%d bytes)", len(ruleset))
	}
}

func nudge(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func drain(c chan struct{}) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}
