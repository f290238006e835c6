package query_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"glarc/chunk"
	"glarc/chunk/memory"
	"glarc/query"
)

func Example() {
	m := memory.New(memory.Options{})
	defer m.Close()
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, line := range []string{
		"sshd[1]: Failed password for root from 10.0.0.1",
		"cron[2]: session opened for user root",
		"sshd[3]: error: maximum authentication attempts exceeded",
		"sshd[4]: Failed password for admin from 10.0.0.2",
	} {
		host := "web1"
		if i == 3 {
			host = "web2"
		}
		m.Append(chunk.Record{SourceTS: base.Add(time.Duration(i) * time.Minute), Raw: []byte(line), Attrs: chunk.Attributes{"host": host}})
	}

	q, err := query.Parse(`("failed password" OR error) host=web1`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(q)
	for rec, err := range query.Run(context.Background(), m, q, query.Options{Reverse: true}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s %s\n", rec.Time().Format(time.TimeOnly), rec.Raw)
	}

	_, err = query.Parse("(error OR")
	fmt.Fprintln(os.Stdout, err)
	// Output:
	// ("failed password" OR error) AND host=web1
	// 12:02:00 sshd[3]: error: maximum authentication attempts exceeded
	// 12:00:00 sshd[1]: Failed password for root from 10.0.0.1
	// query syntax error at offset 9: expected a term at the end of the query
	// (error OR
	//          ^
}
