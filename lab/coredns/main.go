// Command coredns is the lab's cluster DNS: upstream CoreDNS with only the plugins the lab's
// Corefile uses (see corefile() in lab/providers/local/controlplane.ts). Stock CoreDNS compiles
// every plugin, cloud SDKs for route53/azure/clouddns included; this is the documented way to
// build a smaller one (what coredns.go + core/plugin/zplugin.go generate, cut down).
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
)

// directives is the execution order, a subsequence of upstream's core/dnsserver/zdirectives.go
// for the pinned version: keep that order when adding a plugin (and its blank import above).
var directives = []string{
	"bind",
	"errors",
	"loadbalance",
	"cache",
	"hosts",
	"kubernetes",
}

func init() { dnsserver.Directives = directives }

func main() { coremain.Run() }
