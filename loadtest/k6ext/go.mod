module gauntlet.local/k6ext

go 1.25.0

require go.k6.io/k6 v1.8.1
