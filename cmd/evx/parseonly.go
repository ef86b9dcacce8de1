package main

import "flag"

// parseOnly, when not nil, receives each command's flag set and positional arguments once
// parseArgs has parsed them, and the command then ends with exitOK before doing anything.
// The docs test sets it to hold every command line of README.md and docs/ to the real flag
// sets; nothing else does.
var parseOnly func(fs *flag.FlagSet, pos []string)

// parsedOnly is parseArgs's result, ended early when parseOnly is set.
func parsedOnly(fs *flag.FlagSet, pos []string, code int, ok bool) ([]string, int, bool) {
	if parseOnly == nil || !ok {
		return pos, code, ok
	}
	parseOnly(fs, pos)
	return nil, exitOK, false
}
