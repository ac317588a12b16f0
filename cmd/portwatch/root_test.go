package main

import "testing"

// The registry is loaded only where a name is shown or sorted by: not for
// the numeric table or the summary, unless a --services file is to be
// checked.
func TestListNeedsServices(t *testing.T) {
	for _, c := range []struct {
		f    listFlags
		want bool
	}{
		{listFlags{numeric: true}, false},
		{listFlags{}, true},
		{listFlags{numeric: true, sort: " Service"}, true},
		{listFlags{numeric: true, sort: "remote"}, false},
		{listFlags{numeric: true, format: choiceValue{value: "json"}}, true},
		{listFlags{numeric: true, format: choiceValue{value: "csv"}}, true},
		{listFlags{summary: true, format: choiceValue{value: "json"}}, false},
		{listFlags{summary: true}, false},
		{listFlags{summary: true, servicesFile: "x"}, true},
		{listFlags{numeric: true, servicesFile: "x"}, true},
	} {
		if got := c.f.needsServices(); got != c.want {
			t.Errorf("numeric %v, sort %q, format %q, summary %v, services %q: %v, want %v",
				c.f.numeric, c.f.sort, c.f.format.value, c.f.summary, c.f.servicesFile, got, c.want)
		}
	}
}
