package reports

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEscapeCell(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "goroutine growth", "goroutine growth"},
		{"pipe", "a|b", `a\|b`},
		{"newline", "one\ntwo", "one<br>two"},
		{"crlf", "one\r\ntwo\rthree", "one<br>two<br>three"},
		{"backtick", "run `go test`", "run \\`go test\\`"},
		{"angle brackets", "<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"},
		{"ampersand", "a & b &amp;", "a &amp; b &amp;amp;"},
		{"emphasis", "*T and _u_", `\*T and \_u\_`},
		{"link", "[x](y)", `\[x\](y)`},
		{"backslash before pipe", `a\|b`, `a\\\|b`},
		{"label set", `component="sink"`, `component="sink"`},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EscapeCell(tt.in)
			assert.Equal(t, tt.want, got, "EscapeCell(%q)", tt.in)
			assert.NotContains(t, strings.ReplaceAll(got, `\|`, ""), "|",
				"an unescaped pipe would split the cell")
			assert.NotContains(t, got, "\n", "a newline would end the row")
		})
	}
}

func TestCodeCell(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"function", "main.(*T).run", "`main.(*T).run`"},
		{"pipe", "a|b", "`a\\|b`"},
		{"newline", "a\nb", "`a b`"},
		{"backtick inside", "a`b", "``a`b``"},
		{"backtick at edge", "`a", "`` `a ``"},
		{"angle brackets stay literal", "f<T>", "`f<T>`"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, CodeCell(tt.in), "CodeCell(%q)", tt.in)
		})
	}
}

func TestTable(t *testing.T) {
	tb := newTable("name", "count>")
	tb.add(EscapeCell("a|b"), "3")
	tb.add("only one")
	tb.add("x", "1", "dropped")
	want := "| name | count |\n| --- | --: |\n| a\\|b | 3 |\n| only one |  |\n| x | 1 |\n\n"
	assert.Equal(t, want, tb.String())
}

// oneCell reports whether s, placed between pipes, stays one cell of one
// row: no line break, and a backslash before every pipe. GitHub's table
// scanner takes any backslash-pipe as an escaped pipe, whatever precedes
// it, and turns it into a pipe before reading the cell's inlines.
func oneCell(s string) bool {
	if strings.ContainsAny(s, "\r\n") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '|' && (i == 0 || s[i-1] != '\\') {
			return false
		}
	}
	return true
}

func FuzzEscapeCell(f *testing.F) {
	for _, s := range []string{"a|b", "x\\|y", "<b>`c`</b>\n", "\\\\|", "*_[]~&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := EscapeCell(s)
		if !oneCell(got) {
			t.Errorf("EscapeCell(%q) = %q would break the table", s, got)
		}
		if strings.ContainsAny(got, "<>") && !strings.Contains(s, "\n") &&
			!strings.Contains(s, "\r") {
			t.Errorf("EscapeCell(%q) = %q keeps a raw angle bracket", s, got)
		}
		if got := CodeCell(s); !oneCell(got) {
			t.Errorf("CodeCell(%q) = %q would break the table", s, got)
		}
	})
}
