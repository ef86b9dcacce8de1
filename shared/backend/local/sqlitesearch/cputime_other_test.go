//go:build !linux

package sqlitesearch

import "time"

func threadCPU() (time.Duration, bool) { return 0, false }
