// Package query parses glarc queries and answers them from chunks, exactly
// and in time order.
//
//	q, err := query.Parse(`error host=web1 -"connection reset"`)
//	if err != nil {
//		return err // a *query.SyntaxError: message, query, caret
//	}
//	since, _ := query.ParseTime("2h", time.Now(), time.Local)
//	for rec, err := range query.Run(ctx, chunks, q, query.Options{Since: since, Reverse: true, Limit: 10}) {
//		if err != nil {
//			return err
//		}
//		fmt.Printf("%s\n", rec.Raw)
//	}
//
// # Language
//
// A query is one string; its terms are ANDed. Keywords are case-insensitive;
// precedence is NOT > AND > OR.
//
//	word              a whole token (tokenizer rules), any ASCII case
//	"two words"       a phrase, any ASCII case, its ends on token edges
//	173.234.31.186    a bare term with non-token bytes is a phrase
//	auth*             a token starting with "auth"; "a phrase"* also works
//	/fail(ed|ure)/    RE2 on the whole line; /.../i ignores case
//	key=value         attribute key (case-insensitive) equal to value, or
//	                  the pair key=value / key="value" in the line
//	key="two words"   a quoted value
//	key=*  *=value    the key is present / any key has the value
//	key!=value        the key is present with another value
//	pid>1000          numeric comparison (also <, <=, >=)
//	severity<=warning syslog order emerg=0 … debug=7 (also for key level)
//	a OR b, NOT a, -a, (a OR b) c
//	*                 every record (so does the empty query)
//
// Values of key=value terms are compared ASCII case-insensitively, in
// attributes and in the line alike. A comparison holds when any value of
// the key (the attribute, or a pair in the line) satisfies it; ordered
// comparisons go by syslog severity for the keys severity and level (names,
// aliases such as error and warn, digits 0-7), are numeric when the query
// value is a decimal number (values that are not numbers then never
// match), and otherwise compare the lowercased strings byte by byte.
//
// A bare term runs to the next space. '(' opens a group only at the start
// of a term, so pam_unix(sshd:auth) is one term while (a OR b) groups; a
// ')' ends a term only when it closes no '(' opened inside the term. The
// first of = != < <= > >= in a bare term makes it a key/value term. Inside
// quotes, \" and \\ are escapes; inside /regexp/, \/ stands for '/'.
//
// Query.String prints the canonical form: keywords in upper case, AND
// written out, text lowercased and quoted where needed. It parses back to
// itself.
//
// # Execution
//
// Run lists the chunks, drops those outside [Since, Until], and merges the
// time-ordered streams of the others k-way by (Record.Time, chunk ID,
// position), oldest first or, with Reverse, newest first. A chunk's cursor
// is opened only when the merge frontier reaches the chunk's time range,
// so a query with a small Limit opens few cursors. Within a chunk, a
// binary search over positions finds the first record in the time range.
//
// A CandidateSource (an index) may narrow the positions of a chunk to a
// superset of its matches; every candidate is still checked with
// Query.Match, so results are exact whatever the index says. Explain
// records what happened per chunk for --explain.
package query
