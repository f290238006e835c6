// Package tokenizer splits log lines into tokens and key=value pairs. The
// same code runs when an index is built and when a query checks a candidate
// line, so an index lookup never disagrees with the exact check.
//
//	var buf []byte
//	var ends []int
//	buf, ends = tokenizer.Append(buf[:0], ends[:0], line)
//	start := 0
//	for _, end := range ends {
//		tok := buf[start:end] // lowercased index token
//		start = end
//	}
//	tokenizer.ContainsToken(line, []byte("Failed"))          // exact whole-token check
//	tokenizer.ContainsPhrase(line, []byte("failed password")) // exact phrase check
//	tokenizer.HasPair(line, []byte("user"), []byte("root"))   // user=root in the text
//
// # Tokens
//
// A token run is a maximal run of token bytes: ASCII letters, digits, '_'
// and '-'. Every other byte (space, punctuation, CR, LF, and every byte of
// a non-ASCII character) separates runs. Runs keep their case; index tokens
// are lowercased (ASCII only).
//
// An index token is a lowercased run that
//   - is MinTokenLen (2) to MaxTokenLen (16) bytes long,
//   - holds at least one letter: a run made only of digits, '-' and '_'
//     (42, 2005-11-09, 10_000, --) is numeric and not indexed,
//   - is not a UUID (8-4-4-4-12 hex digits). A UUID is 36 bytes, so the
//     length rule already excludes it; the explicit check keeps it excluded
//     should the length limit ever grow,
//   - is not an ID (IsID): a hex ID of at least 8 hex digits holding both a
//     digit and a letter, alone (6398380c8df505f1), after "0x"
//     (0x0eb8ccca) or after the run's last '-' or '_' (api-20a5d514); or a
//     digit-heavy run of at least 4 digits and more digits than letters
//     (000013s, i0131, ip-10-0-1-5). Request IDs, hashes and measurements
//     are nearly all distinct, so as index tokens they would fill the
//     dictionary for little use. Words with a few digits stay index tokens
//     (ssh2, web01, sha256, node-153, x1), and so do hex words without a
//     digit (deadbeef).
//
// Runs that are not index tokens are still found by ContainsToken and
// ContainsPhrase; they only cannot narrow a query through the token index.
// The indexes keep a per-block filter over every run for them.
//
// # Phrases
//
// ContainsPhrase is an ASCII case-insensitive substring match whose ends
// lie on token edges: when the phrase starts with a token byte, the byte
// before the match must not be one; when it ends with a token byte, the byte
// after the match must not be one. Bytes between are matched exactly (no
// whitespace folding). Because of the edge rule every token run of a phrase
// is a whole token run of any line that matches, so PhraseTokens may use all
// of them for index lookups.
//
// # Key=value pairs
//
// Pairs scans a line from left to right for '='. At each '=':
//   - the key is the token run directly before '=' (it must be non-empty,
//     so " =x" and "a.=x" are not pairs; "a.b=c" has key "b"),
//   - if the byte after '=' is '"', the value is a quoted string up to the
//     next unescaped '"'; inside it `\"` stands for '"' and `\\` for '\',
//     any other backslash stays as written. A quote that is never closed
//     makes no pair;
//   - otherwise the value is the run of bytes after '=' up to (not
//     including) the first space, tab, CR, LF, VT, FF or one of , ; ) ] } " '
//     or the end of the line. It may be empty ("logname= uid=0" has
//     logname="" and uid="0") and may hold '=' ("a=b=c" is a="b=c").
//
// Scanning resumes after the value, so an '=' inside a value never starts
// another pair. HasPair compares keys and values ASCII case-insensitively.
package tokenizer
