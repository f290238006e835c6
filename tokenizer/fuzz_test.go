package tokenizer_test

import (
	"bytes"
	"testing"

	"glarc/tokenizer"
)

// fuzzSeeds are inline seeds for every fuzz target, next to the loghub lines.
var fuzzSeeds = []string{
	"",
	"a",
	"Ab cD-e_F 42 2005-11-09 abcdefghijklmnop abcdefghijklmnopq",
	"request_id=6398380c8df505f1 pod=api-20a5d514 xid=0x0eb8ccca by -0.000013s ssh2 198.51.100.23",
	"550e8400-e29b-41d4-a716-446655440000",
	"caf\xc3\xa9 \xff\x00 line\r\n",
	`logname= uid=0 msg="say \"hi\"" p="C:\\" open="x a=b=c`,
}

// seedFuzz adds a sample of loghub lines (when present) and the inline seeds.
func seedFuzz(f *testing.F, add func(line []byte)) {
	lines := loghubLines(f)
	for i := 0; i < len(lines); i += 97 {
		add(lines[i])
	}
	for _, s := range fuzzSeeds {
		add([]byte(s))
	}
}

// naiveTokens is a slow reference for Append.
func naiveTokens(line []byte) [][]byte {
	var out [][]byte
	for _, run := range tokenizer.Runs(line) {
		tok := bytes.ToLower(run) // ASCII-only input to ToLower: runs are ASCII
		if tokenizer.IsIndexToken(tok) {
			out = append(out, tok)
		}
	}
	return out
}

func FuzzAppend(f *testing.F) {
	seedFuzz(f, func(line []byte) { f.Add(line) })
	f.Fuzz(func(t *testing.T, line []byte) {
		buf, ends := tokenizer.Append([]byte("junk"), nil, line)
		buf = buf[len("junk"):]
		start := 0
		var got [][]byte
		for i, end := range ends {
			end -= len("junk")
			if end < start || end > len(buf) {
				t.Fatalf("ends[%d]=%d out of order (start %d, len %d)", i, end, start, len(buf))
			}
			tok := buf[start:end]
			start = end
			if len(tok) < tokenizer.MinTokenLen || len(tok) > tokenizer.MaxTokenLen {
				t.Fatalf("token %q has length %d", tok, len(tok))
			}
			for _, c := range tok {
				if !tokenizer.IsTokenByte(c) || 'A' <= c && c <= 'Z' {
					t.Fatalf("token %q holds %q", tok, c)
				}
			}
			if !tokenizer.IsIndexToken(tok) {
				t.Fatalf("token %q is not an index token", tok)
			}
			if !tokenizer.ContainsToken(line, tok) {
				t.Fatalf("token %q not found by ContainsToken in %q", tok, line)
			}
			got = append(got, tok)
		}
		if start != len(buf) {
			t.Fatalf("%d bytes after the last token", len(buf)-start)
		}
		want := naiveTokens(line)
		if len(want) != len(got) {
			t.Fatalf("Append gave %q, reference %q", got, want)
		}
		for i := range want {
			if !bytes.Equal(want[i], got[i]) {
				t.Fatalf("Append gave %q, reference %q", got, want)
			}
		}
	})
}

// naiveContainsPhrase is a slow reference for ContainsPhrase.
func naiveContainsPhrase(line, phrase []byte) bool {
	if len(phrase) == 0 {
		return true
	}
	ll, lp := tokenizer.Lower(nil, line), tokenizer.Lower(nil, phrase)
	for i := 0; i+len(lp) <= len(ll); i++ {
		if !bytes.Equal(ll[i:i+len(lp)], lp) {
			continue
		}
		if tokenizer.IsTokenByte(lp[0]) && i > 0 && tokenizer.IsTokenByte(ll[i-1]) {
			continue
		}
		end := i + len(lp)
		if tokenizer.IsTokenByte(lp[len(lp)-1]) && end < len(ll) && tokenizer.IsTokenByte(ll[end]) {
			continue
		}
		return true
	}
	return false
}

func FuzzContainsPhrase(f *testing.F) {
	seedFuzz(f, func(line []byte) {
		f.Add(line, []byte("failed password"))
		if len(line) > 20 {
			f.Add(line, line[5:15])
		}
	})
	f.Add([]byte("xx xxx x"), []byte("x"))
	f.Add([]byte("Aa aA"), []byte("AA"))
	f.Add([]byte("pam_unix(sshd:auth)"), []byte("(sshd:"))
	f.Fuzz(func(t *testing.T, line, phrase []byte) {
		got := tokenizer.ContainsPhrase(line, phrase)
		if want := naiveContainsPhrase(line, phrase); got != want {
			t.Fatalf("ContainsPhrase(%q, %q) = %v, reference %v", line, phrase, got, want)
		}
		isRun := len(phrase) > 0 && bytes.IndexFunc(phrase, func(r rune) bool { return r > 0x7f || !tokenizer.IsTokenByte(byte(r)) }) < 0
		if tok := tokenizer.ContainsToken(line, phrase); tok != (got && isRun) {
			t.Fatalf("ContainsToken(%q, %q) = %v, ContainsPhrase %v", line, phrase, tok, got)
		}
		if !got {
			return
		}
		// The index contract: a matching line holds every phrase token.
		buf, ends := tokenizer.PhraseTokens(nil, nil, phrase)
		lineBuf, lineEnds := tokenizer.Append(nil, nil, line)
		start := 0
		for _, end := range ends {
			tok := buf[start:end]
			start = end
			if !hasToken(lineBuf, lineEnds, tok) {
				t.Fatalf("line %q matches phrase %q but lacks index token %q", line, phrase, tok)
			}
		}
		// The block filter contract: a matching line holds every run pair
		// of the phrase (compared lowercased, as the filters hash them).
		linePairs := map[string]bool{}
		for p := range tokenizer.RunPairs(line) {
			linePairs[string(tokenizer.Lower(nil, p))] = true
		}
		for p := range tokenizer.RunPairs(phrase) {
			if !linePairs[string(tokenizer.Lower(nil, p))] {
				t.Fatalf("line %q matches phrase %q but lacks run pair %q", line, phrase, p)
			}
		}
	})
}

func hasToken(buf []byte, ends []int, tok []byte) bool {
	start := 0
	for _, end := range ends {
		if bytes.Equal(buf[start:end], tok) {
			return true
		}
		start = end
	}
	return false
}

func FuzzPairs(f *testing.F) {
	seedFuzz(f, func(line []byte) { f.Add(line) })
	f.Fuzz(func(t *testing.T, line []byte) {
		for k, v := range tokenizer.Pairs(line) {
			if len(k) == 0 {
				t.Fatalf("empty key in %q", line)
			}
			for _, c := range k {
				if !tokenizer.IsTokenByte(c) {
					t.Fatalf("key %q holds %q", k, c)
				}
			}
			if !bytes.Contains(line, append(bytes.Clone(k), '=')) {
				t.Fatalf("key %q= not in %q", k, line)
			}
			if len(v) > len(line) {
				t.Fatalf("value %q longer than line %q", v, line)
			}
			if !tokenizer.HasPair(line, k, v) {
				t.Fatalf("HasPair(%q, %q, %q) is false for a yielded pair", line, k, v)
			}
			if !tokenizer.HasPair(line, asciiUpper(k), asciiUpper(v)) {
				t.Fatalf("HasPair(%q, %q, %q) is case-sensitive", line, k, v)
			}
			if !tokenizer.HasKey(line, k) {
				t.Fatalf("HasKey(%q, %q) is false for a yielded pair", line, k)
			}
		}
	})
}

// asciiUpper returns b with ASCII letters upper-cased and other bytes kept.
func asciiUpper(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		out[i] = c
	}
	return out
}
