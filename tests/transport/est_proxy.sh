#!/bin/bash
# EST through the http-proxy (issue 17: the transports of SCEP): with
# `crypto ca http-proxy` set, authenticate (bootstrap) and enroll (HTTP
# basic, tls-unique) reach est_testserver through CONNECT, as tinyproxy's
# log shows; with the proxy down the error names it.
#   est_proxy.sh NETPKI NETPKI_CA
. "$(dirname "$0")/lib.sh"
command -v tinyproxy > /dev/null || { echo "SKIP: no tinyproxy"; exit 77; }
. "$(dirname "$0")/../est/lib.sh"
est_start
PIDS="$PIDS $!"
start_proxy

np > "$WORK/est.got" 2>&1 <<IN
configure
hostname r1
domain name example.com
crypto ca http-proxy 127.0.0.1 port $PROXY_PORT
crypto ca trustpoint est1
enrollment url https://127.0.0.1:$ESTPORT
method-est
est-label auth
enrollment http-auth username dev1
commit
end
crypto ca authenticate est1
yes
crypto ca enroll est1
secret1
IN
expect_line "$WORK/est.got" "% Certificate successfully received from Certificate Authority"
expect_grep "$PLOG" "CONNECT 127\\.0\\.0\\.1:$ESTPORT"
[ "$(grep -c "CONNECT 127\\.0\\.0\\.1:$ESTPORT" "$PLOG")" -ge 3 ] ||
    fail "proxy log: fewer than 3 CONNECTs (cacerts, csrattrs, simpleenroll)"
kill "$PROXY_PID"
wait "$PROXY_PID" 2>/dev/null
np > "$WORK/down.got" 2>&1 <<IN
crypto ca enroll est1
yes
secret1
IN
expect_grep "$WORK/down.got" "HTTP proxy 127\\.0\\.0\\.1:$PROXY_PORT"
finish
