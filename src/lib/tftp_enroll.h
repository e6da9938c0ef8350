/*
 * tftp_enroll: enrollment over TFTP (`enrollment url tftp://HOST[/PATH]`
 * and the reference text's `tftp-address;vrf-name/ca-name`).  There is no
 * protocol beyond files; the CA administrator (or a script) picks up the
 * request and leaves the certificate:
 *
 *   <name>.ca                the CA certificate (authenticate reads it)
 *   <name>.req               the PKCS#10 request, PEM (enroll writes it)
 *   <name>-sign.req, <name>-encr.req     the same for usage keys
 *   <name>.crt               the device certificate (enroll polls for it)
 *   <name>-sign.crt, <name>-encr.crt     the same for usage keys
 *
 * <name> is the URL's file name (tftp://h/dir/NAME), or the device's
 * FQDN (hostname.domain) when the URL ends without one.  Files are read
 * as DER (certificate or PKCS#7) or as text (PEM, bare base64).
 */
#ifndef NETPKI_TFTP_ENROLL_H
#define NETPKI_TFTP_ENROLL_H

#include <stddef.h>

#include <openssl/x509.h>

#include "trustpoint.h"

struct err;
struct fetch_opts;

#define TFTP_FILEMAX	(256u * 1024)	/* a .ca or .crt file */
#define TFTP_NAMEMAX	255		/* <name> */

/* Where the files are. */
struct tftp_target {
	char	 host[300];		/* host[:port], IPv6 in brackets */
	char	 vrf[64];		/* ";vrf-name" of the URL, or "" */
	char	 dir[1024];		/* "/" or "/path/" */
	char	 name[TFTP_NAMEMAX + 1];	/* the files' base name */
};

/* 1 when an enrollment URL is a TFTP one (either form). */
int		 tftp_is_url(const char *);
/*
 * Parse an enrollment URL; fqdn names the files when the URL has no file
 * name.  ERR_INVAL with the rule broken.
 */
int		 tftp_target_parse(struct tftp_target *, const char *,
		    const char *, struct err *);
/*
 * A file's name: what is "ca", "req" or "crt"; kind and usage pick the
 * "-sign"/"-encr" suffix of usage keys.  0, or ERR_TOOBIG.
 */
int		 tftp_file(char *, size_t, const struct tftp_target *,
		    const char *, enum tp_kind, int);
/* "tftp://host/dir/file". */
int		 tftp_url(char *, size_t, const struct tftp_target *,
		    const char *);

/*
 * Certificates in a file's bytes: DER certificate, DER PKCS#7, or text
 * (PEM blocks, bare base64).  Trailing data refused; caps TFTP_FILEMAX
 * and PASTE_CERTMAX.  *out: free with sk_X509_pop_free(.., X509_free).
 */
int		 tftp_certs_parse(STACK_OF(X509) **, const unsigned char *,
		    size_t, struct err *);
/* Read <file> and parse it; ERR_NOTFOUND when the server has no such file. */
int		 tftp_get_certs(STACK_OF(X509) **, const struct tftp_target *,
		    const char *, const struct fetch_opts *, struct err *);
/* Write a request as PEM to <file>. */
int		 tftp_put_req(const struct tftp_target *, const char *,
		    X509_REQ *, const struct fetch_opts *, struct err *);

#endif
