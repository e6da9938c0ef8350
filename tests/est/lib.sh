# Sourced by the est_*.setup transcripts: certificates made now (the test
# clock is set to now, as openssl(1) dates them) and est_testserver
# started on a free port of 127.0.0.1; it ends with the test (its parent).
#   est_start  sets $ESTDIR and $ESTPORT
est_mkcerts() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/ca.key" -out "$d/ca.pem" -days 3650 -subj "/CN=EST Test CA" \
	    -addext basicConstraints=critical,CA:true \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/other.key" -out "$d/other.pem" -days 3650 \
	    -subj "/CN=Other CA" -addext basicConstraints=critical,CA:true \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/srv.key" -out "$d/srv.csr" -subj "/CN=127.0.0.1" \
	    2>/dev/null
	openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
	    -CAcreateserial -days 365 -out "$d/srv.pem" \
	    -extfile <(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') \
	    2>/dev/null
}
est_start() {
	ESTDIR=$WORK/est
	est_mkcerts "$ESTDIR"
	# openssl(1) dated them this second: the test clock runs a bit later.
	export NETPKI_NOW=$(( $(date +%s) + 5 ))
	exec 9< <(exec "$(dirname "$NETPKI")/tests/est_testserver" "$ESTDIR")
	read -r ESTPORT <&9
	export ESTDIR ESTPORT
}
