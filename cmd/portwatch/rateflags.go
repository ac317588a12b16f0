package main

import (
	"github.com/spf13/cobra"
)

// rateFlags are the -c INTERVAL and --count flags of the views that can
// repeat as rates (stats, interfaces).
type rateFlags struct {
	interval intervalValue
	count    int
}

// bind adds the flags to cmd; what names what -c repeats.
func (f *rateFlags) bind(cmd *cobra.Command, what string) {
	cmd.Flags().VarP(&f.interval, "continuous", "c", what+" every INTERVAL (1s, 500ms, or seconds)")
	cmd.Flags().IntVar(&f.count, "count", 0, "with -c, stop after this many reports")
}

// check validates the flags' values: --count needs -c and is not
// negative.
func (f *rateFlags) check(cmd *cobra.Command) error {
	if f.count < 0 {
		return usagef("invalid --count %d: want 0 (until interrupted) or more", f.count)
	}
	if f.interval.d == 0 && cmd.Flags().Changed("count") {
		return usagef("--count needs -c INTERVAL")
	}
	return nil
}
