package main

import (
	"fmt"
	"strconv"
)

// The catalog is what the corpus is made of: hosts, the programs that run
// on each kind of host, their message templates, and the value pools the
// templates draw from. It is built from constants and a fixed internal
// seed, so it is the same whatever -seed says (web1 is always a busy host).
//
// Rules for the templates, so that the benchmark's expected counts are exact:
//   - "error" appears only as a whole word with no '-' next to it;
//   - no host name appears in message text between spaces (" web1 ");
//   - nothing but the needles contains xyzzy, plover, plugh or 198.51.100.x.

type pidMode uint8

const (
	pidNone   pidMode = iota // kernel: no [pid]
	pidOne                   // systemd[1]
	pidStable                // a daemon: one pid per (host, app), new after a restart
	pidFork                  // a process per job or connection: pids creep up over time
)

type appSpec struct {
	name      string
	pid       pidMode
	templates []tmplSpec
}

type tmplSpec struct {
	w    float64
	text string
}

// apps lists every program. Weights within an app are relative.
func appSpecs() []appSpec {
	return []appSpec{
		{"sshd", pidFork, []tmplSpec{
			{30, "Accepted publickey for {user} from {lip} port {port} ssh2: ED25519 SHA256:{hex16}{hex16}"},
			{4, "Accepted password for {user} from {ip} port {port} ssh2"},
			{20, "Failed password for {user} from {ip} port {port} ssh2"},
			{14, "Failed password for invalid user {baduser} from {ip} port {port} ssh2"},
			{14, "Invalid user {baduser} from {ip} port {port}"},
			{25, "pam_unix(sshd:session): session opened for user {user}(uid={uid}) by (uid=0)"},
			{25, "pam_unix(sshd:session): session closed for user {user}"},
			{9, "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}"},
			{10, "Received disconnect from {ip} port {port}:11: Bye Bye [preauth]"},
			{8, "Disconnected from authenticating user {user} {ip} port {port} [preauth]"},
			{12, "Connection closed by {ip} port {port} [preauth]"},
			{3, "reverse mapping checking getaddrinfo for {rdns} [{ip}] failed - POSSIBLE BREAK-IN ATTEMPT!"},
			{1.5, "error: kex_exchange_identification: Connection closed by remote host"},
			{0.8, "error: maximum authentication attempts exceeded for {user} from {ip} port {port} ssh2 [preauth]"},
			{1, "Timeout, client not responding from {ip} port {port}"},
		}},
		{"CRON", pidFork, []tmplSpec{
			{60, "({user}) CMD ({cronjob})"},
			{20, "pam_unix(cron:session): session opened for user {user}(uid={uid}) by (uid=0)"},
			{20, "pam_unix(cron:session): session closed for user {user}"},
		}},
		{"kernel", pidNone, []tmplSpec{
			{30, "[{kts}] [UFW BLOCK] IN=eth0 OUT= MAC={mac} SRC={ip} DST={lip} LEN={n2} TOS=0x00 PREC=0x00 TTL={n2} ID={n5} PROTO=TCP SPT={port} DPT={svcport} WINDOW={n5} RES=0x00 SYN URGP=0"},
			{3, "[{kts}] audit: type=1400 audit({audts}): apparmor=\"DENIED\" operation=\"open\" profile=\"/usr/sbin/ntpd\" name=\"/etc/ssl/openssl.cnf\" pid={pid5} comm=\"ntpd\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0"},
			{1, "[{kts}] TCP: request_sock_TCP: Possible SYN flooding on port {svcport}. Sending cookies.  Check SNMP counters."},
			{1, "[{kts}] nf_conntrack: nf_conntrack: table full, dropping packet"},
			{1, "[{kts}] EXT4-fs (sda1): re-mounted. Opts: errors=remount-ro. Quota mode: none."},
			{0.5, "[{kts}] Out of memory: Killed process {pid5} (java) total-vm:{n7}kB, anon-rss:{n7}kB, file-rss:0kB, shmem-rss:0kB, UID:{uid} pgtables:{n4}kB oom_score_adj:0"},
			{0.6, "[{kts}] blk_update_request: I/O error, dev sdb, sector {n9} op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0"},
			{1, "[{kts}] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx"},
			{2, "[{kts}] IPv6: ADDRCONF(NETDEV_CHANGE): veth{hex8}: link becomes ready"},
		}},
		{"systemd", pidOne, []tmplSpec{
			{20, "Started Session {n5} of User {user}."},
			{15, "session-{n5}.scope: Deactivated successfully."},
			{10, "{unit}: Deactivated successfully."},
			{3, "Starting {unit}..."},
			{3, "Finished {unit}."},
			{0.6, "{unit}: Main process exited, code=exited, status=1/FAILURE"},
			{0.6, "{unit}: Failed with result 'exit-code'."},
			{1, "Reloading requested from client PID {pid5} ('systemctl') (unit session-{n4}.scope)..."},
		}},
		{"systemd-logind", pidStable, []tmplSpec{
			{5, "New session {n5} of user {user}."},
			{5, "Session {n5} logged out. Waiting for processes to exit."},
			{5, "Removed session {n5}."},
		}},
		{"su", pidFork, []tmplSpec{
			{5, "(to {user}) root on pts/{n1}"},
			{5, "pam_unix(su-l:session): session opened for user {user}(uid={uid}) by root(uid=0)"},
			{1, "pam_unix(su-l:auth): authentication failure; logname=root uid=1000 euid=0 tty=/dev/pts/{n1} ruser=root rhost=  user={user}"},
		}},
		{"sudo", pidFork, []tmplSpec{
			{10, "   {user} : TTY=pts/{n1} ; PWD=/home/{user} ; USER=root ; COMMAND={sudocmd}"},
			{10, "pam_unix(sudo:session): session opened for user root(uid=0) by {user}(uid={uid})"},
			{10, "pam_unix(sudo:session): session closed for user root"},
			{0.5, "{user} : 3 incorrect password attempts ; TTY=pts/{n1} ; PWD=/home/{user} ; USER=root ; COMMAND={sudocmd}"},
		}},
		{"dhclient", pidStable, []tmplSpec{
			{5, "DHCPREQUEST for {lip} on eth0 to {lip} port 67 (xid=0x{hex8})"},
			{5, "DHCPACK of {lip} from {lip} (xid=0x{hex8})"},
			{5, "bound to {lip} -- renewal in {n4} seconds."},
		}},
		{"ntpd", pidStable, []tmplSpec{
			{5, "Soliciting pool server {ip}"},
			{10, "adjusting local clock by {float}s"},
			{2, "Listen normally on 3 eth0 {lip}:123"},
			{0.4, "error resolving pool 2.debian.pool.ntp.org: Temporary failure in name resolution (-3)"},
		}},
		{"nginx", pidStable, []tmplSpec{
			{80, "{lip} - - \"{method} {path} HTTP/1.1\" {status} {n5} \"-\" \"{ua}\" rt={rt} request_id={hex16}"},
			{1.2, "[error] {n3}#{n1}: *{n7} upstream timed out (110: Connection timed out) while reading response header from upstream, client: {lip}, server: {domain}, request: \"{method} {path} HTTP/1.1\", upstream: \"http://{lip}:8080{path}\", host: \"{domain}\""},
			{2, "[warn] {n3}#{n1}: *{n7} an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/{n1}/{n2}/{n9} while reading upstream, client: {lip}, server: {domain}, request: \"GET {path} HTTP/1.1\""},
		}},
		{"api", pidStable, []tmplSpec{
			{80, "level=info msg=\"request completed\" method={method} path={path} status={status} duration_ms={ms} user={user} request_id={hex16}"},
			{15, "level=debug msg=\"cache hit\" key=session:{hex16} ttl={n4}"},
			{3, "level=warning msg=\"slow query\" table={table} duration_ms={bigms} request_id={hex16}"},
			{1.2, "level=error msg=\"upstream failed\" err=\"dial tcp {lip}:5432: connect: connection refused\" status=500 duration_ms={bigms} user={user} request_id={hex16}"},
		}},
		{"billing-worker", pidStable, []tmplSpec{
			{40, "INFO [pool-{n1}-thread-{n1}] c.e.billing.InvoiceJob - processed {n3} invoices in {ms} ms"},
			{5, "WARN [pool-{n1}-thread-{n1}] c.e.billing.RetryPolicy - retrying charge {hex16} attempt {n1}"},
			{1, "ERROR [pool-{n1}-thread-{n1}] c.e.billing.InvoiceJob - charge {hex16} for account {n7} declined: insufficient_funds"},
		}},
		{"postgres", pidStable, []tmplSpec{
			{20, "[{pid5}] LOG:  duration: {bigms}.{n3} ms  statement: SELECT * FROM {table} WHERE id = {n7}"},
			{5, "[{pid5}] LOG:  checkpoint starting: time"},
			{5, "[{pid5}] LOG:  checkpoint complete: wrote {n4} buffers ({n2}.{n1}%); 0 WAL file(s) added, 0 removed, {n1} recycled"},
			{10, "[{pid5}] LOG:  connection authorized: user={user} database=shop application_name=api"},
			{0.8, "[{pid5}] ERROR:  duplicate key value violates unique constraint \"{table}_pkey\""},
			{0.3, "[{pid5}] FATAL:  password authentication failed for user \"{user}\""},
		}},
		{"postfix/smtpd", pidFork, []tmplSpec{
			{10, "connect from {rdns}[{ip}]"},
			{10, "disconnect from {rdns}[{ip}] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5"},
			{8, "{qid}: client={rdns}[{ip}]"},
			{3, "NOQUEUE: reject: RCPT from {rdns}[{ip}]: 554 5.7.1 <{user}@{domain}>: Relay access denied; from=<{baduser}@{domain}> to=<{user}@{domain}> proto=ESMTP helo=<{rdns}>"},
			{2, "warning: hostname {rdns} does not verify address {ip}: Name or service not known"},
		}},
		{"postfix/qmgr", pidStable, []tmplSpec{
			{10, "{qid}: from=<{user}@{domain}>, size={n5}, nrcpt=1 (queue active)"},
			{10, "{qid}: removed"},
		}},
		{"postfix/smtp", pidFork, []tmplSpec{
			{10, "{qid}: to=<{user}@{domain}>, relay={domain}[{ip}]:25, delay={n1}.{n1}, delays=0.{n2}/0/0.{n2}/0.{n2}, dsn=2.0.0, status=sent (250 2.0.0 OK {hex8})"},
			{0.5, "{qid}: to=<{user}@{domain}>, relay=none, delay={n3}, delays={n3}/0/30/0, dsn=4.4.1, status=deferred (connect to {domain}[{ip}]:25: Connection timed out)"},
		}},
		{"kubelet", pidStable, []tmplSpec{
			{20, "I{klog}    {n4} kubelet.go:{n4}] \"SyncLoop (PLEG): event for pod\" pod=\"default/api-{hex8}\" event=\"ContainerStarted\" containerID={hex16}"},
			{10, "I{klog}    {n4} prober.go:{n3}] \"Probe succeeded\" probeType=\"Readiness\" pod=\"default/api-{hex8}\""},
			{0.8, "E{klog}    {n4} pod_workers.go:{n4}] \"Error syncing pod, skipping\" err=\"failed to StartContainer for api with CrashLoopBackOff\" pod=\"default/api-{hex8}\""},
		}},
	}
}

// classSpec is a kind of host: the programs it runs, with weights.
type classSpec struct {
	name string
	apps map[string]float64
}

func classSpecs() []classSpec {
	common := func(extra map[string]float64) map[string]float64 {
		m := map[string]float64{"sshd": 8, "CRON": 6, "kernel": 4, "systemd": 6, "systemd-logind": 2,
			"su": 0.5, "sudo": 1.5, "dhclient": 0.5, "ntpd": 0.5}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	return []classSpec{
		{"web", common(map[string]float64{"nginx": 60})},
		{"lb", common(map[string]float64{"nginx": 70})},
		{"app", common(map[string]float64{"api": 50, "billing-worker": 8})},
		{"db", common(map[string]float64{"postgres": 40})},
		{"mail", common(map[string]float64{"postfix/smtpd": 25, "postfix/qmgr": 10, "postfix/smtp": 15})},
		{"node", common(map[string]float64{"kubelet": 30, "api": 15, "kernel": 10})},
		{"misc", common(nil)},
	}
}

// hostNames returns the hosts in Zipf rank order (busiest first) with their
// class names. The first ranks are fixed; the rest are shuffled with a
// fixed seed.
func hostNames() (names, classes []string) {
	add := func(class, prefix string, n, width int) {
		for i := 1; i <= n; i++ {
			names = append(names, prefix+fmt.Sprintf("%0*d", width, i))
			classes = append(classes, class)
		}
	}
	add("web", "web", 40, 1)
	add("lb", "lb", 6, 1)
	add("app", "app", 80, 2)
	add("db", "db", 12, 1)
	add("mail", "mx", 4, 1)
	add("mail", "mail", 4, 1)
	add("node", "node-", 300, 3)
	add("misc", "cache", 10, 1)
	add("misc", "ci-runner-", 24, 2)
	for _, n := range []string{"bastion1", "bastion2", "vpn1", "backup1", "backup2", "mon1", "mon2",
		"ldap1", "ldap2", "dns1", "dns2", "ntp1", "git1", "registry1", "nfs1", "nfs2", "kafka1", "kafka2",
		"kafka3", "zk1"} {
		names = append(names, n)
		classes = append(classes, "misc")
	}
	// Fixed head of the ranking; the busiest hosts.
	head := []string{"lb1", "app01", "web1", "db1", "web2", "node-001", "mx1", "app02", "web3", "lb2"}
	pos := map[string]int{}
	for i, n := range names {
		pos[n] = i
	}
	order := make([]int, 0, len(names))
	used := map[int]bool{}
	for _, h := range head {
		order = append(order, pos[h])
		used[pos[h]] = true
	}
	var rest []int
	for i := range names {
		if !used[i] {
			rest = append(rest, i)
		}
	}
	r := rng{s: 0x5eed}
	for i := len(rest) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		rest[i], rest[j] = rest[j], rest[i]
	}
	order = append(order, rest...)
	outN, outC := make([]string, len(order)), make([]string, len(order))
	for i, o := range order {
		outN[i], outC[i] = names[o], classes[o]
	}
	return outN, outC
}

type userSpec struct {
	name string
	uid  int
}

func users() []userSpec {
	return []userSpec{{"root", 0}, {"ubuntu", 1000}, {"deploy", 1001}, {"www-data", 33}, {"admin", 1002},
		{"postgres", 113}, {"git", 1003}, {"jenkins", 1004}, {"backup", 34}, {"nagios", 1005},
		{"alice", 1010}, {"bob", 1011}, {"carol", 1012}, {"dave", 1013}, {"erin", 1014}, {"frank", 1015},
		{"grace", 1016}, {"heidi", 1017}, {"ivan", 1018}, {"judy", 1019}, {"mallory", 1020},
		{"oscar", 1021}, {"peggy", 1022}, {"trent", 1023}, {"victor", 1024}, {"walter", 1025},
		{"ansible", 1030}, {"prometheus", 1031}, {"svc-billing", 1032}, {"svc-api", 1033}}
}

// lists returns the named value pools used as {name} in templates. Each
// list is drawn with Zipf weights in the order written (first = commonest)
// unless it has explicit weights.
func lists() map[string][]string {
	m := map[string][]string{
		"baduser": {"admin", "test", "oracle", "guest", "user", "ftpuser", "support", "pi", "ubnt", "test1",
			"mysql", "hadoop", "tomcat", "nagios", "git", "postgres", "jenkins", "ansible", "user1", "demo",
			"alex", "minecraft", "teamspeak", "steam", "vagrant", "docker", "es", "elastic", "redis", "sysadmin",
			"webmaster", "info", "sales", "backup", "web", "www", "ftp", "student", "testuser", "operator"},
		"cronjob": {"command -v debian-sa1 > /dev/null && debian-sa1 1 1",
			"cd / && run-parts --report /etc/cron.hourly",
			"/usr/local/bin/backup.sh --incremental >/dev/null 2>&1",
			"[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi",
			"/usr/bin/certbot -q renew",
			"/opt/scripts/rotate-metrics.sh",
			"test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )",
			"/usr/lib/sysstat/debian-sa1 1 1"},
		"sudocmd": {"/usr/bin/systemctl restart nginx", "/usr/bin/apt-get update", "/bin/journalctl -u api -n 200",
			"/usr/bin/docker ps -a", "/usr/bin/tail -n 100 /var/log/auth.log", "/usr/sbin/nginx -t",
			"/usr/bin/systemctl status postgresql", "/bin/df -h", "/usr/bin/kill -HUP 1"},
		"unit": {"apt-daily.service", "logrotate.service", "man-db.service", "phpsessionclean.service",
			"certbot.service", "fstrim.service", "sysstat-collect.service", "motd-news.service",
			"apt-daily-upgrade.service", "systemd-tmpfiles-clean.service"},
		"table":  {"orders", "users", "sessions", "events", "line_items", "invoices", "carts", "products"},
		"method": {"GET", "POST", "PUT", "DELETE", "PATCH"},
		"ua": {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
			"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
			"curl/8.5.0", "Go-http-client/1.1", "kube-probe/1.29", "Prometheus/2.50.1",
			"Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
			"python-requests/2.31.0"},
		"path": {"/healthz", "/api/v1/orders", "/metrics", "/api/v1/cart", "/static/js/app.js", "/",
			"/api/v1/users/me", "/login", "/api/v1/search", "/static/css/site.css", "/favicon.ico",
			"/api/v1/products", "/api/v1/invoices", "/logout", "/robots.txt", "/wp-login.php", "/.env"},
		"domain": {"example.com", "shop.example.com", "api.example.com", "mail.example.org", "example.net",
			"gmail.com", "outlook.com", "yahoo.com", "partner.example.io", "cdn.example.com", "corp.example.org"},
	}
	// rdns names: a pool of resolver answers for the external addresses.
	var rd []string
	isps := []string{"static.isp-one.net", "dyn.broadband.example", "cloud.hoster.example", "dsl.telco.example", "vps.example.cloud"}
	r := rng{s: 0xd115}
	for i := range 400 {
		rd = append(rd, "ip-"+strconv.Itoa(r.intn(224)+1)+"-"+strconv.Itoa(r.intn(256))+"-"+
			strconv.Itoa(r.intn(256))+"."+isps[i%len(isps)])
	}
	rd[0], rd[3] = "unknown", "localhost"
	m["rdns"] = rd
	return m
}

// listWeights: lists drawn with explicit weights instead of Zipf.
func listWeights() map[string][]float64 {
	return map[string][]float64{
		"method": {70, 20, 5, 3, 2},
	}
}

// statuses are HTTP status codes with weights (500 is rare).
func statuses() ([]string, []float64) {
	return []string{"200", "201", "204", "301", "304", "400", "401", "403", "404", "500", "502", "503"},
		[]float64{80, 3, 2, 2, 5, 2, 1, 1, 3, 0.5, 0.3, 0.2}
}

// servicePorts are the destinations of blocked packets.
func servicePorts() []string {
	return []string{"22", "443", "80", "3389", "23", "8080", "3306", "5432", "6379", "25", "445", "5900"}
}
