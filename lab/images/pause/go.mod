module gauntlet.local/lab/images/pause

go 1.24
