# Sourced by the pipe_*.setup files: a running configuration to filter
# (two trustpoints, so sections and counts have something to choose).
"$NETPKI" --state "$STATE" -c configure -c 'hostname r1' \
    -c 'domain name example.com' -c 'crypto ca trustpoint myca' \
    -c 'enrollment url http://127.0.0.1/cgi-bin/pkiclient.exe' \
    -c 'subject-name CN=r1.example.com' -c 'crl optional' -c exit \
    -c 'crypto ca trustpoint other' -c 'rsakeypair k2' \
    -c 'enrollment terminal' -c commit -c end > /dev/null || exit 1
