package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

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

// repeatRates reads a first snapshot, then every interval reads the next
// and reports it against the one before, --count times (0: until SIGINT
// or SIGTERM, which end it with exit 0).
func repeatRates[S any](ctx context.Context, f *rateFlags, read func() (S, error), report func(prev, cur S) error) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	prev, err := read()
	if err != nil {
		return err
	}
	for n := 0; f.count == 0 || n < f.count; n++ {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(f.interval.d):
		}
		cur, err := read()
		if err != nil {
			return err
		}
		if err := report(prev, cur); err != nil {
			return err
		}
		prev = cur
	}
	return nil
}
