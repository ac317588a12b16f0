package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"os"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/render"
	"github.com/portwatch/portwatch/watch"
)

// viewSorts are the sort columns the s key cycles through. The view starts
// with --sort, or local: a stable order in which a closed socket stays
// where it was.
var viewSorts = []string{"local", "state", "remote", "port", "service", "process", "pid", "proto"}

// runWatchView runs the full-screen live view until q, Ctrl-C or SIGTERM.
// bubbletea restores the terminal on every way out, panics included.
func runWatchView(ctx context.Context, src *watchSource, ropts render.Options, interval time.Duration,
	f *listFlags, stderr io.Writer) error {
	m := &viewModel{
		ctx:      ctx,
		src:      src,
		interval: interval,
		count:    f.count,
		tracker:  watch.Tracker{Linger: lingerRefreshes(interval)},
		frame: render.FrameOptions{
			Options:  ropts,
			Color:    colorWanted(),
			Sort:     cmp.Or(f.sort, viewSorts[0]),
			Interval: interval,
			Width:    80,
			Height:   24,
		},
	}
	p := tea.NewProgram(m, tea.WithContext(ctx))
	_, err := p.Run()
	// Warnings were held back while the screen was ours.
	m.writeWarnings(stderr)
	switch {
	case m.err != nil:
		return m.err
	case err == nil, errors.Is(err, tea.ErrInterrupted), errors.Is(err, tea.ErrProgramKilled),
		errors.Is(err, context.Canceled):
		return nil
	case errors.Is(err, tea.ErrProgramPanic):
		return failf("internal error in the live view (%v); the terminal was restored, please report it", err)
	}
	return failf("live view: %v", err)
}

// markSeconds is about how long a change mark stays on screen.
const markSeconds = 3 * time.Second

// lingerRefreshes is how many refreshes a mark lasts: about markSeconds,
// and never fewer than watch.DefaultLinger.
func lingerRefreshes(interval time.Duration) int {
	n := int((markSeconds + interval - 1) / interval)
	return max(n, watch.DefaultLinger)
}

// colorWanted reports whether the live view may use colour: not with
// NO_COLOR (https://no-color.org) or on a dumb terminal.
func colorWanted() bool {
	return os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
}

// viewModel is the bubbletea model of the live view. Drawing is
// render.WatchFrame's; the model keeps the state and handles keys.
type viewModel struct {
	ctx      context.Context
	src      *watchSource
	interval time.Duration
	count    int // refreshes before quitting; 0: no limit
	tracker  watch.Tracker
	rows     []watch.Row
	now      time.Time
	frame    render.FrameOptions
	sortIdx  int
	owners   bool // owners in the latest snapshot
	started  bool
	done     int // refreshes shown
	err      error
	// warnings are held back while the screen is the view's. Only Update
	// (the UI goroutine) adds to them: a collect writes into a buffer of
	// its own and hands it over in its snapshotMsg, so one still running
	// when the view quits cannot race with writeWarnings.
	warnings bytes.Buffer

	text  string // the last frame drawn
	stale bool   // text no longer shows the model
}

// snapshotMsg carries one refresh.
type snapshotMsg struct {
	snap     *collector.Snapshot
	owners   bool
	err      error
	warnings []byte // the warning lines this collect wrote
}

// tickMsg asks for the next refresh.
type tickMsg struct{}

// Init implements tea.Model: the first refresh at once.
func (m *viewModel) Init() tea.Cmd { return m.collect() }

// collect returns a command that takes one snapshot off the UI goroutine.
// Only one is in flight at a time: the next is asked for by the tick that
// follows its result, so the incremental collector is never shared.
func (m *viewModel) collect() tea.Cmd {
	owners := m.frame.Owners || m.src.flags.wantOwners()
	return func() tea.Msg {
		var warnings bytes.Buffer
		snap, err := m.src.collect(m.ctx, owners, &warnings)
		return snapshotMsg{snap: snap, owners: owners, err: err, warnings: warnings.Bytes()}
	}
}

// writeWarnings writes the warnings held back while the view ran; the view
// calls it once bubbletea has given the terminal back.
func (m *viewModel) writeWarnings(w io.Writer) {
	w.Write(m.warnings.Bytes())
}

func (m *viewModel) tick() tea.Cmd {
	return tea.Tick(m.interval, func(time.Time) tea.Msg { return tickMsg{} })
}

// Update implements tea.Model.
func (m *viewModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.frame.Width, m.frame.Height = msg.Width, msg.Height
		m.stale = true
	case snapshotMsg:
		m.warnings.Write(msg.warnings)
		if msg.err != nil {
			if m.ctx.Err() == nil {
				m.err = msg.err
			}
			return m, tea.Quit
		}
		if m.started && msg.owners != m.owners {
			// Owners switched on or off: not a change of every socket.
			m.tracker.Reset()
		}
		m.started, m.owners = true, msg.owners
		if !m.frame.Paused {
			m.tracker.Update(msg.snap)
			m.rows, m.now = m.tracker.Rows(), msg.snap.Time
			m.frame.Namespaces, m.frame.Netns = msg.snap.Namespaces, len(msg.snap.Namespaces) > 1
			m.stale = true
		}
		m.done++
		if m.count > 0 && m.done >= m.count {
			return m, tea.Quit
		}
		return m, m.tick()
	case tickMsg:
		if m.frame.Paused {
			return m, m.tick()
		}
		return m, m.collect()
	case tea.KeyPressMsg:
		m.stale = true
		return m, m.key(msg)
	}
	return m, nil
}

// key handles one key press.
func (m *viewModel) key(k tea.KeyPressMsg) tea.Cmd {
	name := k.String()
	if name == "ctrl+c" {
		return tea.Quit
	}
	if m.frame.Editing {
		switch name {
		case "enter":
			m.frame.Editing = false
		case "esc":
			m.frame.Editing, m.frame.Filter = false, ""
		case "backspace":
			if f := m.frame.Filter; f != "" {
				_, size := utf8.DecodeLastRuneInString(f)
				m.frame.Filter = f[:len(f)-size]
			}
		default:
			if t := k.Key().Text; t != "" && len(m.frame.Filter) < 200 {
				m.frame.Filter += t
			}
		}
		m.frame.Scroll = 0
		return nil
	}
	if m.frame.Help {
		// Any key closes the help; q still quits.
		m.frame.Help = false
		if name == "q" {
			return tea.Quit
		}
		return nil
	}
	page := max(m.lastPage(), 1)
	switch name {
	case "q":
		return tea.Quit
	case "space":
		m.frame.Paused = !m.frame.Paused
	case "s":
		m.sortIdx = (m.sortIdx + 1) % len(viewSorts)
		m.frame.Sort = viewSorts[m.sortIdx]
	case "/":
		m.frame.Editing = true
	case "l":
		m.frame.ListeningOnly = !m.frame.ListeningOnly
		m.frame.Scroll = 0
	case "o":
		m.frame.Owners = !m.frame.Owners
	case "?":
		m.frame.Help = true
	case "esc":
		m.frame.Filter = ""
	case "up", "k":
		m.frame.Scroll--
	case "down", "j":
		m.frame.Scroll++
	case "pgup":
		m.frame.Scroll -= page
	case "pgdown":
		m.frame.Scroll += page
	case "home", "g":
		m.frame.Scroll = 0
	case "end", "G":
		m.frame.Scroll = 1 << 30
	}
	m.frame.Scroll = max(m.frame.Scroll, 0)
	return nil
}

// lastPage is how many rows the screen shows.
func (m *viewModel) lastPage() int {
	return render.WatchFrame(nil, m.frame, m.now).Page
}

// View implements tea.Model.
func (m *viewModel) View() tea.View {
	// bubbletea asks after every message, ticks of a paused view
	// included; a frame of 100k rows is tens of milliseconds of filtering
	// and sorting, so draw only when Update changed something it shows.
	if m.stale || m.text == "" {
		fr := render.WatchFrame(m.rows, m.frame, m.now)
		m.frame.Scroll = fr.Scroll // clamped, so that scrolling back starts at once
		m.text, m.stale = fr.Text, false
	}
	v := tea.NewView(m.text)
	v.AltScreen = true
	v.WindowTitle = "portwatch"
	return v
}
