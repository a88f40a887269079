package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const sampleCSV = `minute,no-jitter,jitter,shared-cache
0,100,100,1
1,0,0,0
2,100,30,1
3,0,40,0
4,0,30,0
`

// svgDoc is the part of the chart that the tests read.
type svgDoc struct {
	Polylines []struct {
		Class  string `xml:"class,attr"`
		Name   string `xml:"data-name,attr"`
		Points string `xml:"points,attr"`
	} `xml:"polyline"`
	Lines []struct {
		Class string `xml:"class,attr"`
		Y1    string `xml:"y1,attr"`
		Y2    string `xml:"y2,attr"`
	} `xml:"line"`
	Texts []string `xml:"text"`
}

func renderSample(t *testing.T, csv string, limit int) svgDoc {
	t.Helper()
	d, err := parseCSV(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := render(&b, d, limit); err != nil {
		t.Fatal(err)
	}
	var doc svgDoc
	if err := xml.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatalf("output is not XML: %v", err)
	}
	return doc
}

func TestRenderSeriesAndLimit(t *testing.T) {
	doc := renderSample(t, sampleCSV, 10)
	var names []string
	for _, p := range doc.Polylines {
		names = append(names, p.Name)
		if got := len(strings.Fields(p.Points)); got != 5 {
			t.Errorf("series %s has %d points; want 5", p.Name, got)
		}
	}
	if got, want := strings.Join(names, ","), "no-jitter,jitter,shared-cache"; got != want {
		t.Errorf("series = %q; want %q", got, want)
	}

	// Counts map to heights by log10(1+n): a larger count is drawn higher
	// (smaller y), and equal counts at the same height.
	ys := func(i int) []float64 {
		var out []float64
		for _, pt := range strings.Fields(doc.Polylines[i].Points) {
			y, err := strconv.ParseFloat(pt[strings.IndexByte(pt, ',')+1:], 64)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, y)
		}
		return out
	}
	noJitter, jitter := ys(0), ys(1)
	if !(noJitter[0] < jitter[3] && jitter[3] < jitter[2] && jitter[2] < noJitter[1]) {
		t.Errorf("heights of 100, 40, 30, 0 = %v, %v, %v, %v; want strictly increasing y", noJitter[0], jitter[3], jitter[2], noJitter[1])
	}
	if jitter[2] != jitter[4] {
		t.Errorf("two counts of 30 drawn at y = %v and %v; want equal", jitter[2], jitter[4])
	}

	var limit *float64
	for _, l := range doc.Lines {
		if l.Class == "limit" {
			y, _ := strconv.ParseFloat(l.Y1, 64)
			limit = &y
		}
	}
	if limit == nil {
		t.Fatal("no limit line")
	}
	if !(jitter[2] < *limit && *limit < noJitter[1]) {
		t.Errorf("limit line of 10 at y = %v; want between the heights of 30 (%v) and 0 (%v)", *limit, jitter[2], noJitter[1])
	}
	legend := strings.Join(doc.Texts, "\n")
	for _, want := range []string{"no-jitter: first minute 100, then peak 100/min", "jitter: first minute 100, then peak 40/min", "shared-cache: first minute 1, then peak 1/min", "server limit: 10/min"} {
		if !strings.Contains(legend, want) {
			t.Errorf("legend lacks %q", want)
		}
	}
}

func TestParseCSVErrors(t *testing.T) {
	for name, csv := range map[string]string{
		"empty":          "",
		"no rows":        "minute,a\n",
		"bad header":     "min,a\n0,1\n",
		"negative":       "minute,a\n0,-1\n",
		"not a number":   "minute,a\n0,x\n",
		"minute skipped": "minute,a\n0,1\n2,1\n",
		"ragged":         "minute,a,b\n0,1\n",
	} {
		if _, err := parseCSV(strings.NewReader(csv)); err == nil {
			t.Errorf("%s: parseCSV succeeded; want an error", name)
		}
	}
}

func TestRunWritesFile(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "fleet.csv"), filepath.Join(dir, "fleet.svg")
	if err := os.WriteFile(in, []byte(sampleCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(in, out, 10); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "<svg ") {
		t.Errorf("output starts %q; want <svg", b[:min(len(b), 20)])
	}
	if err := run(filepath.Join(dir, "missing.csv"), out, 10); err == nil {
		t.Error("run with a missing input succeeded; want an error")
	}
}
