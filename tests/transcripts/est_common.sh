# Sourced by the est_*.setup files: the EST test server (tests/est/) and
# trustpoint est1 pointing at it (https://127.0.0.1:PORT, the EST label
# picks the server's behaviour), hostname and domain set.
. "$(dirname "$IN")/../est/lib.sh"
est_start
"$NETPKI" --state "$STATE" > /dev/null <<EOF2
configure
hostname r1
domain name example.com
crypto ca trustpoint est1
enrollment url https://127.0.0.1:$ESTPORT
method-est
est-label ok
commit
end
EOF2
