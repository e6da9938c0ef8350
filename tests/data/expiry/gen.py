#!/usr/bin/python3
# Regenerate the fixed expiry-alarm test data (run once; the files are
# committed so that tests/agent/alarms.out is exact).  Fixed validity
# dates, so the test clock (NETPKI_NOW) places each round exactly:
#   root.pem       Expiry Root CA, self-signed, to 2033-01-01
#   sub.pem        Expiry Issuing CA (root), to 2024-06-01
#   sub-next.pem   Expiry Issuing CA again, a new key (root), to 2027-01-01
#   router.pem     a router certificate (sub), to 2024-03-01; its subject
#                  holds a quote, a backslash and an escape character
#   router-new.pem the same subject renewed (sub), to 2025-03-01
#   pool-root.pem  Expiry Pool Root, self-signed, to 2024-09-01 (the trust
#                  pool: NETPKI_BUILTIN_BUNDLE)
#   pool-sub.pem   Expiry Pool Issuing CA (pool-root), to 2030-01-01
import datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

def d(s):
    return datetime.datetime.strptime(s, "%Y-%m-%d").replace(
        tzinfo=datetime.timezone.utc)

def name(*rdns):
    return x509.Name([x509.NameAttribute(o, v) for o, v in rdns])

def cert(subject, key, issuer, ikey, nb, na, serial, ca):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(key.public_key()).serial_number(serial)
         .not_valid_before(d(nb)).not_valid_after(d(na))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None),
                        critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False,
                            True, True, False, False), critical=True)
    return b.sign(ikey, hashes.SHA256())

def save(fn, c):
    with open(fn, "wb") as f:
        f.write(c.public_bytes(serialization.Encoding.PEM))

k = {n: ec.generate_private_key(ec.SECP256R1()) for n in
     ("root", "sub", "subnext", "router", "proot", "psub")}
root_n = name((NameOID.ORGANIZATION_NAME, "NetPKI Test"),
              (NameOID.COMMON_NAME, "Expiry Root CA"))
sub_n = name((NameOID.ORGANIZATION_NAME, "NetPKI Test"),
             (NameOID.COMMON_NAME, "Expiry Issuing CA"))
router_n = name((NameOID.ORGANIZATION_NAME, 'a"b\\c\x1b[31m'),
                (NameOID.COMMON_NAME, "r1.example.com"))
proot_n = name((NameOID.ORGANIZATION_NAME, "NetPKI Test"),
               (NameOID.COMMON_NAME, "Expiry Pool Root"))
psub_n = name((NameOID.ORGANIZATION_NAME, "NetPKI Test"),
              (NameOID.COMMON_NAME, "Expiry Pool Issuing CA"))
save("root.pem", cert(root_n, k["root"], root_n, k["root"], "2023-01-01",
                      "2033-01-01", 1, True))
save("sub.pem", cert(sub_n, k["sub"], root_n, k["root"], "2023-01-01",
                     "2024-06-01", 2, True))
save("sub-next.pem", cert(sub_n, k["subnext"], root_n, k["root"],
                          "2024-01-01", "2027-01-01", 3, True))
save("router.pem", cert(router_n, k["router"], sub_n, k["sub"], "2023-06-01",
                        "2024-03-01", 10, False))
save("router-new.pem", cert(router_n, k["router"], sub_n, k["sub"],
                            "2024-01-01", "2025-03-01", 11, False))
save("pool-root.pem", cert(proot_n, k["proot"], proot_n, k["proot"],
                           "2023-01-01", "2024-09-01", 1, True))
save("pool-sub.pem", cert(psub_n, k["psub"], proot_n, k["proot"],
                          "2023-01-01", "2030-01-01", 2, True))
