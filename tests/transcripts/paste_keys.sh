# Sourced by the paste_* transcript setups: the fixed key pairs of
# tests/data/paste (mykey: general purpose; uk: special usage), and a time
# inside the fixed certificates' validity.
export NETPKI_NOW=1800000000
mkdir -p "$STATE/keys/rsa" "$STATE/keys/rsa-sign" "$STATE/keys/rsa-encr"
chmod 700 "$STATE" "$STATE/keys" "$STATE/keys/rsa" "$STATE/keys/rsa-sign" \
    "$STATE/keys/rsa-encr"
install -m 600 "$DATA/paste/mykey.pem" "$STATE/keys/rsa/mykey.pem"
install -m 600 "$DATA/paste/uk-sign.pem" "$STATE/keys/rsa-sign/uk.pem"
install -m 600 "$DATA/paste/uk-encr.pem" "$STATE/keys/rsa-encr/uk.pem"
