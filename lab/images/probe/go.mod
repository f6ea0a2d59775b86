module gauntlet.local/lab/images/probe

go 1.24
