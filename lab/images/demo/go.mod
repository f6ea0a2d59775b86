module gauntlet.local/lab/images/demo

go 1.24
