package reports

import (
	"strings"
)

// cellEscaper turns text into something a GitHub table cell shows as is:
// a pipe would end the cell, a newline the row, and Markdown or HTML
// punctuation would format or vanish.
var cellEscaper = strings.NewReplacer(
	"\\", "\\\\",
	"|", "\\|",
	"`", "\\`",
	"*", "\\*",
	"_", "\\_",
	"[", "\\[",
	"]", "\\]",
	"~", "\\~",
	"&", "&amp;",
	"<", "&lt;",
	">", "&gt;",
	"\r\n", "<br>",
	"\n", "<br>",
	"\r", "<br>",
)

// EscapeCell returns s as the text of one GitHub Markdown table cell:
// pipes, backticks, emphasis and link characters, and angle brackets are
// escaped, and line breaks become <br>.
func EscapeCell(s string) string {
	return cellEscaper.Replace(s)
}

// CodeCell returns s as a code span fit for a GitHub Markdown table cell.
// Inside a code span only the pipe needs a backslash (GitHub splits cells
// before it reads code); backticks in s get a longer fence.
func CodeCell(s string) string {
	if s == "" {
		return ""
	}
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "|", "\\|").Replace(s)
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// longestRun returns the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] != c {
			cur = 0
			continue
		}
		cur++
		best = max(best, cur)
	}
	return best
}

// align is the alignment of one table column.
type align int

const (
	left align = iota
	right
)

// table is a GitHub Markdown table whose cells are already escaped.
type table struct {
	head  []string
	align []align
	rows  [][]string
}

// newTable starts a table; a header ending in ">" is right-aligned, for
// columns of numbers.
func newTable(head ...string) *table {
	t := &table{}
	for _, h := range head {
		a := left
		if strings.HasSuffix(h, ">") {
			a, h = right, strings.TrimSuffix(h, ">")
		}
		t.head = append(t.head, EscapeCell(h))
		t.align = append(t.align, a)
	}
	return t
}

// add appends a row of escaped cells; missing cells stay empty.
func (t *table) add(cells ...string) {
	row := make([]string, len(t.head))
	copy(row, cells)
	t.rows = append(t.rows, row)
}

// String renders the table followed by a blank line.
func (t *table) String() string {
	var b strings.Builder
	writeRow(&b, t.head)
	sep := make([]string, len(t.head))
	for i, a := range t.align {
		sep[i] = "---"
		if a == right {
			sep[i] = "--:"
		}
	}
	writeRow(&b, sep)
	for _, r := range t.rows {
		writeRow(&b, r)
	}
	b.WriteString("\n")
	return b.String()
}

// writeRow writes one row of cells between pipes.
func writeRow(b *strings.Builder, cells []string) {
	b.WriteString("|")
	for _, c := range cells {
		b.WriteString(" ")
		b.WriteString(c)
		b.WriteString(" |")
	}
	b.WriteString("\n")
}
