#!/bin/sh
# Replace what changes between runs in generated interop transcripts with
# {{*}}: key-dependent fingerprints and IDs, serials allocated by a shared
# server, times of a CA made at test time, OpenSSL's error strings.
#   gen-fix.sh FILE.out...
for f in "$@"; do
	sed -i -E \
	    -e 's/^Fingerprint: .*/Fingerprint: {{*}}/' \
	    -e 's/^((Signing|Encryption) Certificate Request Fingerprint: ).*/\1{{*}}/' \
	    -e 's/^(Transaction ID :).*/\1{{*}}/' \
	    -e 's/(transaction ID )[0-9A-F]+\.\.\./\1{{*}}/' \
	    -e 's/ after [0-9]+ ms: / after {{*}} ms: /' \
	    -e 's/(ContentInfo: ).*/\1{{*}}/' \
	    -e 's/(not signed by the CA or RA certificate: ).*/\1{{*}}/' \
	    "$f"
	awk '/^Status :Available$/ { print; getline; sub(/:.*/, ":{{*}}"); print; next } { print }' "$f" > "$f.tmp" && mv "$f.tmp" "$f"
	case $f in
	*micromdm/*)
		sed -i -E -e 's/^(Validity (Start|End) :).*/\1{{*}}/' \
		    -e 's/^(Fingerprint:)[0-9A-F].*/\1{{*}}/' \
		    -e 's/^(SHA256 Fingerprint:).*/\1{{*}}/' "$f";;
	esac
done
