// Command demo is the lab's demo service: an HTTP server whose version and faults are set per
// deployment (env or flags), so canary and chaos tests have something real to judge.
// It also serves as an "outside world" host (-tcp-echo, -udp-echo) for egress tests.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envFloat(name string, def float64) float64 {
	v, err := strconv.ParseFloat(env(name, ""), 64)
	if err != nil {
		return def
	}
	return v
}

func envDuration(name string, def time.Duration) time.Duration {
	v, err := time.ParseDuration(env(name, ""))
	if err != nil {
		return def
	}
	return v
}

func main() {
	var (
		listen      = flag.String("listen", env("LISTEN", ":8080"), "HTTP listen address")
		version     = flag.String("version", env("VERSION", "v0"), "version reported in X-Version and the body")
		errorRate   = flag.Float64("error-rate", envFloat("ERROR_RATE", 0), "fraction of requests answered 500 (0..1)")
		latency     = flag.Duration("latency", envDuration("LATENCY", 0), "latency added to every request")
		crashAfter  = flag.Duration("crash-after", envDuration("CRASH_AFTER", 0), "exit 1 after this long (0 = never)")
		readyFail   = flag.Bool("readiness-fail", env("READINESS_FAIL", "") == "true", "make /readyz answer 503")
		drain       = flag.Duration("drain", envDuration("DRAIN", 2*time.Second), "how long to keep serving after SIGTERM")
		tcpEcho     = flag.String("tcp-echo", env("TCP_ECHO", ""), "also run a TCP echo server on this address")
		udpEcho     = flag.String("udp-echo", env("UDP_ECHO", ""), "also run a UDP echo server on this address")
		hostname, _ = os.Hostname()
	)
	flag.Parse()

	var draining atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if *readyFail || draining.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if *latency > 0 {
			time.Sleep(*latency)
		}
		w.Header().Set("X-Version", *version)
		w.Header().Set("X-Host", hostname)
		if *errorRate > 0 && rand.Float64() < *errorRate {
			http.Error(w, fmt.Sprintf("injected error version=%s\n", *version), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "demo version=%s host=%s path=%s\n", *version, hostname, r.URL.Path)
	})

	if *tcpEcho != "" {
		go serveTCPEcho(*tcpEcho)
	}
	if *udpEcho != "" {
		go serveUDPEcho(*udpEcho)
	}
	if *crashAfter > 0 {
		time.AfterFunc(*crashAfter, func() {
			log.Printf("crash-after %s reached: exiting 1", *crashAfter)
			os.Exit(1)
		})
	}

	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		log.Printf("demo %s listening on %s", *version, *listen)
		if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			log.Fatal(err)
		}
	}()

	// Graceful shutdown: fail readiness first so endpoints drop us, then drain in-flight requests.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	draining.Store(true)
	log.Printf("SIGTERM: draining for %s", *drain)
	time.Sleep(*drain)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Printf("shutdown: %v", err)
	}
	log.Print("stopped")
}

func serveTCPEcho(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatalf("tcp echo: %v", err)
	}
	log.Printf("tcp echo on %s", addr)
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			io.Copy(c, c)
		}()
	}
}

func serveUDPEcho(addr string) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		log.Fatalf("udp echo: %v", err)
	}
	log.Printf("udp echo on %s", addr)
	buf := make([]byte, 65535)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			continue
		}
		pc.WriteTo(buf[:n], from)
	}
}
