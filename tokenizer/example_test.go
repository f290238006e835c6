package tokenizer_test

import (
	"fmt"

	"glarc/tokenizer"
)

func ExampleAppend() {
	line := []byte("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; uid=0")
	buf, ends := tokenizer.Append(nil, nil, line)
	start := 0
	for _, end := range ends {
		fmt.Print(string(buf[start:end]), " ")
		start = end
	}
	fmt.Println()
	// Output: jun combo sshd pam_unix authentication failure uid
}

func ExampleContainsPhrase() {
	line := []byte("Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2")
	fmt.Println(tokenizer.ContainsPhrase(line, []byte("failed password")))
	fmt.Println(tokenizer.ContainsPhrase(line, []byte("173.234.31.18")))
	fmt.Println(tokenizer.ContainsToken(line, []byte("38926")))
	// Output:
	// true
	// false
	// true
}

func ExamplePairs() {
	line := []byte(`logname= uid=0 rhost=218.188.2.4 msg="say \"hi\""`)
	for k, v := range tokenizer.Pairs(line) {
		fmt.Printf("%s=%q\n", k, v)
	}
	fmt.Println(tokenizer.HasPair(line, []byte("RHOST"), []byte("218.188.2.4")))
	// Output:
	// logname=""
	// uid="0"
	// rhost="218.188.2.4"
	// msg="say \"hi\""
	// true
}
