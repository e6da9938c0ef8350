#!/bin/bash
# HTTP proxy (issue 8): `crypto ca http-proxy HOST port PORT` with Debian's
# tinyproxy on 127.0.0.1 (foreground, its own configuration in the scratch
# directory) in front of netpki-ca:
#   - the statement round-trips in show running-config, its no form
#     removes it, a bad host is refused;
#   - authenticate and enroll (http), enroll over https (CONNECT) and a
#     trust pool import go through the proxy: its log shows each request;
#   - with the proxy down, the fetch fails naming the proxy;
#   - tftp does not use the proxy (covered by tftp.sh with a proxy set).
#   proxy.sh NETPKI NETPKI_CA
. "$(dirname "$0")/lib.sh"
DATA=$(cd "$(dirname "$0")/../data/trustpool" && pwd)
export NETPKI_BUILTIN_BUNDLE=$DATA/builtin.pem
command -v tinyproxy > /dev/null || { echo "SKIP: no tinyproxy"; exit 77; }

ca_start 127.0.0.1
server_cert srv 127.0.0.1 127.0.0.1
tls_front TLS "$CA_PORT" "$WORK/srv.pem"
H=http://127.0.0.1:$CA_PORT

start_proxy

# 1. The statement: bad host refused, round trip, no form.
np > "$WORK/config.got" 2>&1 <<IN
configure
crypto ca http-proxy bad_host! port 3128
crypto ca http-proxy ::1 port 3128
commit
show running-config crypto ca http-proxy
crypto ca http-proxy 127.0.0.1 port $PROXY_PORT
commit
end
show running-config
IN
expect_line "$WORK/config.got" '% Invalid http-proxy host "bad_host!": expected a host name, an IPv4 or an IPv6 address'
expect_line "$WORK/config.got" "crypto ca http-proxy ::1 port 3128"
expect_line "$WORK/config.got" "crypto ca http-proxy 127.0.0.1 port $PROXY_PORT"
[ "$(grep -c '^crypto ca http-proxy' "$WORK/config.got")" = 2 ] ||
    fail "config: the second http-proxy did not replace the first"
# The running configuration loads back as it was printed.
echo "show running-config" | np 2>&1 | sed -n '/^Building configuration/,/^end$/p' |
    grep -v '^Building\|^!\|^end$' > "$WORK/running.txt"
[ "$(cat "$WORK/running.txt")" = "crypto ca http-proxy 127.0.0.1 port $PROXY_PORT" ] ||
    fail "running-config: $(cat "$WORK/running.txt")"
"$NETPKI" --state "$WORK/s-rt" > "$WORK/roundtrip.got" 2>&1 <<IN
configure
$(cat "$WORK/running.txt")
commit
end
show running-config crypto ca http-proxy
IN
expect_line "$WORK/roundtrip.got" "crypto ca http-proxy 127.0.0.1 port $PROXY_PORT"

# 2. Authenticate and enroll (http), enroll over https, import a bundle:
#    all through the proxy.
trustpoint myca "$H/scep"
trustpoint tlsca "https://127.0.0.1:$TLS/scep"
np > "$WORK/via-proxy.got" 2>&1 <<IN
crypto ca authenticate myca
yes
crypto ca enroll myca
secret
secret
crypto ca authenticate tlsca
IN
expect_line "$WORK/via-proxy.got" "% Certificate successfully received from Certificate Authority"
grep -qF "Request (file descriptor" "$PLOG" || fail "proxy log: no request"
expect_grep "$PLOG" "Request \\(file descriptor [0-9]+\\): GET $H/scep\\?operation=GetCACert&message=myca HTTP/1.1"
expect_grep "$PLOG" "Request \\(file descriptor [0-9]+\\): POST $H/scep\\?operation=PKIOperation HTTP/1.1"
# tlsca is not authenticated and the pool lacks the CA: the TLS check
# fails through the tunnel as it does directly.
expect_grep "$WORK/via-proxy.got" "^% Trustpoint tlsca: .*: the server's TLS certificate is not trusted"
np > "$WORK/via-proxy2.got" 2>&1 <<IN
crypto ca trustpool import url $H/bundle.pem
yes
crypto ca authenticate tlsca
yes
crypto ca enroll tlsca
secret
secret
IN
expect_line "$WORK/via-proxy2.got" "Trustpool import: attempted: 1, installed: 1, skipped: 0, expired: 0"
expect_line "$WORK/via-proxy2.got" "% Certificate successfully received from Certificate Authority"
expect_grep "$PLOG" "Request \\(file descriptor [0-9]+\\): GET $H/bundle.pem HTTP/1.1"
expect_grep "$PLOG" "Request \\(file descriptor [0-9]+\\): CONNECT 127.0.0.1:$TLS HTTP/1.1"

# The agent's automatic update (cabundle url over https) goes through the
# proxy too.
np > "$WORK/policy.got" 2>&1 <<IN
configure
crypto ca trustpool policy
cabundle url https://127.0.0.1:$TLS/bundle.pem
commit
end
IN
nconnect=$(grep -c "CONNECT 127.0.0.1:$TLS " "$PLOG")
# Due: one day before the downloaded CA certificate expires.
due=$(( $(date -d "$(openssl x509 -in "$CA/ca.crt" -noout -enddate | sed 's/.*=//')" +%s) - 86400 ))
NETPKI_NOW=$due "$NETPKI" agent --state "$WORK/s" --once --stderr > "$WORK/agent.got" 2>&1 ||
    fail "agent --once: exit status $?"
expect_grep "$WORK/agent.got" "trust pool: updated from https://127.0.0.1:$TLS/bundle.pem: 1 CA certificates"
[ "$(grep -c "CONNECT 127.0.0.1:$TLS " "$PLOG")" -gt "$nconnect" ] ||
    fail "agent: no CONNECT through the proxy"

# 3. The proxy down: a clear failure naming it, nothing stored.
kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null
trustpoint downca "$H/scep"
np > "$WORK/proxy-down.got" 2>&1 <<IN
crypto ca authenticate downca
crypto ca trustpool import url $H/bundle.pem
show crypto ca certificates downca
IN
expect_grep "$WORK/proxy-down.got" "^% Trustpoint downca: $H/scep\\?operation=GetCACaps: HTTP proxy 127.0.0.1:$PROXY_PORT: Failed to connect to 127.0.0.1 port $PROXY_PORT"
expect_grep "$WORK/proxy-down.got" "^% $H/bundle.pem: HTTP proxy 127.0.0.1:$PROXY_PORT: "
grep -q "^CA certificate" "$WORK/proxy-down.got" && fail "proxy down: a CA was stored"

# 4. no crypto ca http-proxy: direct again.
np > "$WORK/no-proxy.got" 2>&1 <<IN
configure
no crypto ca http-proxy
commit
end
show running-config crypto ca http-proxy
crypto ca authenticate downca
yes
IN
grep -q "^crypto ca http-proxy" "$WORK/no-proxy.got" && fail "no form: statement still there"
expect_line "$WORK/no-proxy.got" "Do you accept this certificate?? [yes/no]:yes"

[ -n "${VERBOSE:-}" ] && cat "$WORK"/*.got "$PLOG"
finish
