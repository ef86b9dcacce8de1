// Package fsync makes a folder's entries durable: after a file is created, linked or
// renamed into a folder, syncing the folder makes the new name survive power loss.
package fsync

import (
	"fmt"
	"os"
)

// Dir syncs the folder dir.
func Dir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
