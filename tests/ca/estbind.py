#!/usr/bin/env python3
# An EST client that puts a TLS session's tls-unique (RFC 7030 3.5) in its
# CSR's challengePassword: what curl cannot do.  Python's ssl module gives
# tls-unique on TLS 1.2 (not tls-exporter on 1.3).
#   estbind.py HOST PORT CAFILE KEY CN USER:PASSWORD right|wrong|none
# Prints the HTTP status line of the answer.
import base64
import socket
import ssl
import subprocess
import sys

host, port, cafile, key, cn, cred, mode = sys.argv[1:8]
ctx = ssl.create_default_context(cafile=cafile)
ctx.check_hostname = False
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
with socket.create_connection((host, int(port)), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname=host) as s:
        cb = base64.b64encode(s.get_channel_binding("tls-unique")).decode()
        pw = {"right": cb, "wrong": base64.b64encode(b"x" * 12).decode(),
              "none": None}[mode]
        conf = "[req]\ndistinguished_name=dn\nprompt=no\n"
        if pw is not None:
            conf += "attributes=attr\n[attr]\nchallengePassword=%s\n" % pw
        conf += "[dn]\nCN=%s\n" % cn
        csr = subprocess.run(["openssl", "req", "-new", "-key", key,
                              "-config", "/dev/stdin", "-outform", "DER"],
                             input=conf.encode(), capture_output=True,
                             check=True).stdout
        body = base64.b64encode(csr)
        auth = base64.b64encode(cred.encode())
        s.sendall(b"POST /.well-known/est/simpleenroll HTTP/1.1\r\n"
                  b"Host: %s\r\nContent-Type: application/pkcs10\r\n"
                  b"Authorization: Basic %s\r\nContent-Length: %d\r\n"
                  b"Connection: close\r\n\r\n" % (host.encode(), auth,
                                                  len(body)) + body)
        data = b""
        for _ in range(1000):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        print(data.split(b"\r\n", 1)[0].decode())
