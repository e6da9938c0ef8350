/*
 * cmd_trustpoint: what the trustpoint commands share with the other
 * enrollment front ends (cmd_paste.c: enrollment terminal), so that every
 * enrollment method opens a trustpoint, shows a certificate, asks for the
 * challenge password and builds its request the same way.
 */
#ifndef NETPKI_CMD_TRUSTPOINT_H
#define NETPKI_CMD_TRUSTPOINT_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "enroll.h"
#include "fetch.h"
#include "keystore.h"
#include "trustpoint.h"

struct scep_cacert;
struct shell;
struct store;

#define TPC_PASSMAX	ENROLL_PASSMAX	/* challenge password */

/* What an authenticate or enroll run needs, gathered once. */
struct tpc {
	struct shell		*sh;
	struct store		*st;
	struct trustpoint	*tp;
	struct tp_certs		 certs;
	struct fetch_opts	 fo;
	unsigned		 caps;
	int			 implicit_ta;	/* EST: the server is vouched
						   for by the trust pool */
	struct enroll_ui	 ui;		/* the shell's side, arg: this */
	struct enroll		 en;		/* borrows the fields above */
};

/* Load the trustpoint and its certificates; prints the error. */
int		 tpc_open(struct tpc *, struct shell *, const char *);
void		 tpc_free(struct tpc *);
/* -1 with the reference's hint when the trustpoint has no CA yet. */
int		 tpc_need_ca(struct tpc *);
/*
 * The trustpoint's key pair (enroll_keys): the default one is generated
 * on first use, saying so.  *usage = 1 for a special-usage pair.
 * rsa_only: refuse other key types (SCEP decrypts the CA's reply with it).
 */
int		 tpc_keys(struct tpc *, int *, int);
/* Reference prompts; pw is cleansed and -1 returned on failure. */
int		 tpc_password(struct shell *, char *, size_t);
/*
 * The PKCS#10 request for one key of the trustpoint (enroll_csr), printing
 * the error.
 */
int		 tpc_csr(struct tpc *, X509_REQ **, EVP_PKEY *, enum tp_kind,
		    int, const char *);
/* "Fingerprint: ..." line of a request (usage keys say which one). */
void		 tpc_print_csr_fingerprint(struct shell *, X509_REQ *,
		    enum tp_kind, int);
/*
 * After a CA certificate was obtained (GetCACert, or pasted): the
 * checks, the details and fingerprints, the pin or the question, and
 * storing it.  Nothing is stored unless accepted.
 */
int		 tpc_ca_accept(struct tpc *, struct scep_cacert *);
/* The reference's certificate block: serial, names, validity. */
void		 tpc_print_cert(struct shell *, X509 *);
void		 tpc_print_fingerprints(struct shell *, X509 *);
/* Its CRL distribution points ("CRL Distribution Point" lines). */
void		 tpc_print_crldp(struct shell *, X509 *);
/* "% Warning" when x's issuer signed it with SHA-1 or MD5. */
void		 tpc_warn_weak_sig(struct shell *, const char *, X509 *);
const char	*tpc_kind_usage(enum tp_kind);

/*
 * The shell's side of the enrollment engine (enroll_ui.note, arg: the
 * tpc): the reference texts.  cmd_tftp.c words the waiting its own way
 * and passes the rest on.
 */
void		 tpc_ui_note(void *, const struct enroll_note *);

/* cmd_paste.c: the enrollment terminal side of authenticate and enroll. */
int		 pastec_authenticate(struct tpc *);
int		 pastec_enroll(struct tpc *);
/* cmd_est.c: EST (method-est) statements, authenticate, password. */
struct cmd_args;
int		 estc_cmd_label(struct shell *, const struct cmd_args *);
int		 estc_cmd_user(struct shell *, const struct cmd_args *);
int		 estc_cmd_cred(struct shell *, const struct cmd_args *);
int		 estc_authenticate(struct tpc *);
int		 estc_password(struct tpc *, char *, size_t);
int		 estc_serverkeygen(struct shell *, const struct cmd_args *);
/* cmd_tftp.c: enrollment url tftp://... (tftp_enroll.h). */
int		 tftpc_authenticate(struct tpc *);
int		 tftpc_enroll(struct tpc *);

/*
 * The trustpoint's keys and stored certificates, for paste_match()
 * (cmd_paste.c: paste_target_load; TFTP enrollment, enroll_tftp.c,
 * matches a fetched certificate the same way).
 */
struct paste_target;
int	 pastec_target(struct tpc *, struct paste_target *);
void	 pastec_target_clear(struct paste_target *);

/* A dotted "    What ...... value" line of the status command. */
void	 tpc_status_line(struct shell *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* cmd_renew.c: the shadow certificate and the renewal lines (renew.h). */
void	 tpc_show_rollover(struct shell *, struct store *, const char *,
	    enum tp_kind, X509 *);
void	 tpc_status_renewal(struct shell *, struct tpc *);
/* Wait ms; 1 when the user pressed Ctrl-C, else 0. */
int	 tpc_wait(struct shell *, long);

#endif
