// Command probe checks one network path from inside a pod and says whether it connected.
// Usage: probe tcp HOST:PORT | probe udp HOST:PORT | probe http URL | probe dns NAME
// Exit 0 = connected (or answered), 1 = blocked or failed, 2 = usage. One attempt, bounded by
// -timeout, so policy tests never loop on their own. A refusal caused by an ICMP error from an
// address other than the destination is reported as "rejected on the path" (refusal_linux.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	timeout := flag.Duration("timeout", 3*time.Second, "give up after this long")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: probe [-timeout 3s] tcp|udp|http|dns TARGET")
		os.Exit(2)
	}
	kind, target := flag.Arg(0), flag.Arg(1)
	r := newRefusals()
	out, err := run(kind, target, *timeout, r)
	err = r.explain(err)
	r.close()
	if err != nil {
		fmt.Printf("FAIL %s %s: %v\n", kind, target, err)
		os.Exit(1)
	}
	fmt.Printf("OK %s %s %s\n", kind, target, out)
}

func run(kind, target string, timeout time.Duration, r *refusals) (string, error) {
	dialer := &net.Dialer{Timeout: timeout, Control: r.control}
	switch kind {
	case "tcp":
		return echo(dialer, "tcp", target, "ping\n", timeout)
	case "udp":
		return echo(dialer, "udp", target, "ping", timeout)
	case "http":
		client := http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true}}
		resp, err := client.Get(target)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Sprintf("status=%d version=%s body=%q", resp.StatusCode, resp.Header.Get("X-Version"), body), nil
	case "dns":
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupHost(ctx, target)
		if err != nil {
			return "", err
		}
		return fmt.Sprint(addrs), nil
	}
	return "", fmt.Errorf("unknown kind %q", kind)
}

// echo sends a payload and returns the reply: a reply proves the path is open both ways.
func echo(dialer *net.Dialer, network, target, payload string, timeout time.Duration) (string, error) {
	c, err := dialer.Dial(network, target)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte(payload)); err != nil {
		return "", err
	}
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%q", buf[:n]), nil
}
