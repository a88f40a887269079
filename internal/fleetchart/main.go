// Command fleetchart draws the fleet simulation's token requests per minute
// as an SVG chart, with the server's rate limit as a dashed line.
//
// It reads the CSV that TestFleet writes under -fleet.csv: a header row
// "minute,<series>...", then one row per minute with the minute and a count
// per series. It uses only the standard library.
//
// Usage:
//
//	go run ./internal/fleetchart -in docs/fleet.csv -out docs/fleet.svg
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// series is one column of the CSV.
type series struct {
	name   string
	counts []int
}

// fleetData is the parsed CSV.
type fleetData struct {
	series []series
}

// minutes returns the number of rows.
func (d *fleetData) minutes() int { return len(d.series[0].counts) }

// parseCSV reads the simulation's CSV.
func parseCSV(r io.Reader) (*fleetData, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("fleetchart: reading CSV: %w", err)
	}
	if len(rows) < 2 || len(rows[0]) < 2 || rows[0][0] != "minute" {
		return nil, errors.New(`fleetchart: want a header "minute,<series>..." and at least one row`)
	}
	d := &fleetData{}
	for _, name := range rows[0][1:] {
		d.series = append(d.series, series{name: name})
	}
	for i, row := range rows[1:] {
		if m, err := strconv.Atoi(row[0]); err != nil || m != i {
			return nil, fmt.Errorf("fleetchart: row %d: minute %q; want %d", i+2, row[0], i)
		}
		for j, cell := range row[1:] {
			c, err := strconv.Atoi(cell)
			if err != nil || c < 0 {
				return nil, fmt.Errorf("fleetchart: row %d: count %q is not a whole number", i+2, cell)
			}
			d.series[j].counts = append(d.series[j].counts, c)
		}
	}
	return d, nil
}

// Geometry of the chart, in SVG user units.
const (
	width, height = 960, 540
	left, right   = 70, 20
	top, bottom   = 50, 120
	plotW         = width - left - right
	plotH         = height - top - bottom
)

// colors of the series, in CSV order.
var colors = []string{"#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b"}

// yScale maps a count to a height in [0, 1] of the plot on a log scale that
// keeps zero: log10(1+n) over log10(1+max).
type yScale struct{ top float64 }

func (s yScale) y(n float64) float64 {
	return top + plotH*(1-math.Log10(1+n)/s.top)
}

// render writes the chart of d, with a dashed line at limit requests per minute.
func render(w io.Writer, d *fleetData, limit int) error {
	maxCount := limit
	for _, s := range d.series {
		for _, c := range s.counts {
			maxCount = max(maxCount, c)
		}
	}
	decades := math.Ceil(math.Log10(float64(maxCount)))
	ys := yScale{top: math.Log10(1 + math.Pow(10, decades))}
	n := d.minutes()
	x := func(m int) float64 { return left + plotW*float64(m)/float64(max(n-1, 1)) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="15" font-weight="bold">Token requests per minute, %d-minute simulation (log scale)</text>`+"\n", left, n)

	// Grid and y labels: 0 and each power of ten.
	for v := 0.0; v <= math.Pow(10, decades); v = nextDecade(v) {
		y := ys.y(v)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#dddddd"/>`+"\n", left, y, width-right, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, y+4, strconv.FormatFloat(v, 'f', -1, 64))
	}
	// x labels: every hour.
	for m := 0; m < n; m += 60 {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#999999"/>`+"\n", x(m), top+plotH, x(m), top+plotH+5)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%dh</text>`+"\n", x(m), top+plotH+18, m/60)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">virtual time since the deploy</text>`+"\n", left+plotW/2, top+plotH+38)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333333"/>`+"\n", left, top, plotW, plotH)

	for i, s := range d.series {
		var pts strings.Builder
		for m, c := range s.counts {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(m), ys.y(float64(c)))
		}
		fmt.Fprintf(&b, `<polyline class="series" data-name="%s" fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n",
			html.EscapeString(s.name), colors[i%len(colors)], strings.TrimSpace(pts.String()))
	}
	ly := ys.y(float64(limit))
	fmt.Fprintf(&b, `<line class="limit" x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#000000" stroke-dasharray="6 4"/>`+"\n", left, ly, width-right, ly)

	// Legend below the plot, two entries a row, with each series' peak
	// after the first minute.
	legendAt := func(i int) (int, int) { return left + 10 + (plotW/2)*(i%2), top + plotH + 66 + 20*(i/2) }
	for i, s := range d.series {
		lx, y := legendAt(i)
		peak := 0
		for _, c := range s.counts[1:] {
			peak = max(peak, c)
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", lx, y-4, lx+24, y-4, colors[i%len(colors)])
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s: first minute %d, then peak %d/min</text>`+"\n", lx+30, y, html.EscapeString(s.name), s.counts[0], peak)
	}
	lx, y := legendAt(len(d.series))
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000000" stroke-dasharray="6 4"/>`+"\n", lx, y-4, lx+24, y-4)
	fmt.Fprintf(&b, `<text x="%d" y="%d">server limit: %d/min</text>`+"\n", lx+30, y, limit)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// nextDecade returns the grid value after v: 0, 1, 10, 100, ...
func nextDecade(v float64) float64 {
	if v == 0 {
		return 1
	}
	return v * 10
}

func main() {
	in := flag.String("in", "docs/fleet.csv", "the CSV written by TestFleet")
	out := flag.String("out", "docs/fleet.svg", "the SVG to write")
	limit := flag.Int("limit", 10, "the server's limit, token requests per minute")
	flag.Parse()
	if err := run(*in, *out, *limit); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(in, out string, limit int) error {
	f, err := os.Open(in) //nolint:gosec // the path is the developer's own flag
	if err != nil {
		return fmt.Errorf("fleetchart: %w", err)
	}
	defer func() { _ = f.Close() }()
	d, err := parseCSV(f)
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := render(&b, d, limit); err != nil {
		return err
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil { //nolint:gosec // a chart for the docs, meant to be read
		return fmt.Errorf("fleetchart: %w", err)
	}
	return nil
}
