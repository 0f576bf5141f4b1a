package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// num formats a figure for a reader: whole numbers without a point, others
// with about three significant digits, never in exponent form.
func num(f float64) string {
	switch {
	case math.IsNaN(f):
		return "n/a"
	case math.IsInf(f, 1):
		return "∞"
	case math.IsInf(f, -1):
		return "-∞"
	case math.Abs(f) < 1e-9:
		// Rounding noise of a fit (-2.4e-14 per minute) reads as zero.
		return "0"
	case f == math.Trunc(f) && math.Abs(f) < 1e15:
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	a := math.Abs(f)
	prec := 0
	switch {
	case a >= 100:
		prec = 0
	case a >= 10:
		prec = 1
	case a >= 1:
		prec = 2
	default:
		prec = 2 - int(math.Floor(math.Log10(a)))
	}
	s := strconv.FormatFloat(f, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// signed formats a change with its sign, so "+3" and "-2" read as changes.
func signed(f float64) string {
	if f > 0 || (f == 0 && !math.Signbit(f)) {
		return "+" + big(f)
	}
	return big(f)
}

// minutes formats elapsed seconds as minutes with one decimal at most.
func minutes(seconds float64) string {
	m := seconds / 60
	return strconv.FormatFloat(math.Round(m*10)/10, 'f', -1, 64)
}

// span formats a duration for prose: "58m", "1h12m", "40s".
func span(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d <= 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		if d%time.Minute == 0 {
			return fmt.Sprintf("%dm", int(d.Minutes()))
		}
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 72*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	case d < 2*365*24*time.Hour:
		return num(math.Round(d.Hours()/24*10)/10) + " days"
	default:
		return big(math.Round(d.Hours()/24/365)) + " years"
	}
}

// plural returns "1 goroutine" or "3 goroutines".
func plural(n int64, one, many string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// big formats a count for prose and tables, grouping the thousands of large
// whole numbers: 1,234,567.
func big(f float64) string {
	s := num(f)
	if math.Abs(f) < 1000 || f != math.Trunc(f) {
		return s
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// bytesHuman formats a size in bytes with a binary unit: "21.3 MiB".
func bytesHuman(f float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	a := math.Abs(f)
	for a >= 1024 && i < len(units)-1 {
		a /= 1024
		f /= 1024
		i++
	}
	return num(f) + " " + units[i]
}
