#!/bin/bash
# Malformed, truncated and oversized requests get HTTP 4xx or a SCEP
# FAILURE, and the server keeps serving.
. "$(dirname "$0")/lib.sh"
ca_init
ca_start --challenge pw
cd "$WORK" || exit 1
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code --data-binary 'hello' "$URL?operation=PKIOperation")" = 400 ] || fail "garbage POST"
head -c 100000 /dev/urandom > big
[ "$(code --data-binary @big "$URL?operation=PKIOperation")" = 413 ] || fail "oversized POST"
[ "$(code "$URL?operation=PKIOperation&message=%21%21%21")" = 400 ] || fail "bad base64"
[ "$(code "$URL?operation=PKIOperation")" = 400 ] || fail "GET without message"
[ "$(code "$URL?operation=Nope")" = 400 ] || fail "unknown operation"
[ "$(code "$URL")" = 400 ] || fail "no operation"
[ "$(code "http://127.0.0.1:$PORT/nope")" = 404 ] || fail "unknown path"
[ "$(code -X PUT "$URL?operation=GetCACaps")" = 405 ] || fail "PUT"
[ "$(code --data-binary 'x' "http://127.0.0.1:$PORT/crl")" = 405 ] || fail "POST /crl"
# Client text cannot forge log lines.
code "http://127.0.0.1:$PORT/a%0aFORGED" > /dev/null
code "$URL?operation=x%0aFORGED" > /dev/null
grep -q "^FORGED" "$LOG" && fail "log injection"
# A valid request, truncated, and with a flipped byte in its signature.
"$SCEPREQ" gen "$URL" msgs 1 --challenge pw > /dev/null || fail "gen"
f=$(ls msgs/*.der)
len=$(stat -c %s "$f")
head -c $((len - 10)) "$f" > trunc
[ "$(code --data-binary @trunc "$URL?operation=PKIOperation")" = 400 ] || fail "truncated"
cp "$f" flipped
printf '\x55' | dd of=flipped bs=1 seek=$((len - 5)) conv=notrunc 2>/dev/null
[ "$(code --data-binary @flipped "$URL?operation=PKIOperation")" = 400 ] || fail "bad signature"
# A stream of random bodies: never a crash.
for i in $(seq 1 30); do
	head -c $((RANDOM % 3000 + 1)) /dev/urandom > r
	c=$(code --data-binary @r "$URL?operation=PKIOperation")
	[ "$c" = 400 ] || fail "random body $i: HTTP $c"
done
# A client that never finishes its request is dropped after the idle
# timeout (15 s), while others are served meanwhile.
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /scep?operation=GetCACaps HTTP/1.1\r\nHost: x\r\n' >&3
start=$(date +%s)
[ "$(code "$URL?operation=GetCACaps")" = 200 ] || fail "blocked by a slow client"
timeout 40 cat <&3 > /dev/null
took=$(($(date +%s) - start))
exec 3<&-
[ "$took" -ge 10 ] && [ "$took" -le 30 ] || fail "idle connection closed after ${took}s"
kill -0 "$SERVER_PID" || fail "server died"
[ "$(code "$URL?operation=GetCACaps")" = 200 ] || fail "server stopped answering"
# The untouched request still enrolls.
[ "$(code --data-binary @"$f" "$URL?operation=PKIOperation")" = 200 ] || fail "valid request"
grep -q "PKCSReq .* -> SUCCESS" "$LOG" || fail "valid request not issued"
echo ok
