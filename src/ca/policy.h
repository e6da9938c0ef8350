/*
 * policy: who may get which certificate from netpki-ca (DIR/policy.conf,
 * format in netpki-ca(8), POLICY).  The CA builds each certificate's
 * extensions from the policy, not by copying the request: a request that
 * asks for more than the policy allows is refused, naming the rule.
 *
 * Without a file the defaults hold: any subject; no subjectAltName but
 * the one the subject implies (a DNS name or IP address equal to the CN);
 * extendedKeyUsage serverAuth and clientAuth; never CA:TRUE; RSA of at
 * least 2048 bits or EC on P-256, P-384, P-521; at most 3650 days;
 * renewal at any time of a certificate's life.
 */
#ifndef NETPKI_CA_POLICY_H
#define NETPKI_CA_POLICY_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

struct err;

#define POLICY_FILE		"policy.conf"
#define POLICY_FILEMAX		(64 * 1024)
#define POLICY_MAX		32	/* entries of each rule */
#define POLICY_PATMAX		256	/* a pattern or domain */
#define POLICY_DEFAULT_DAYS	3650
#define POLICY_LABELS		16	/* EST labels */
#define POLICY_LABELMAX		64	/* a label's length */

struct policy_net {
	int		 af;		/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	int		 bits;		/* prefix length */
};

/* Parsed policy; read-only once made, so threads share it. */
struct policy {
	char		 subject[POLICY_MAX][POLICY_PATMAX]; /* fnmatch globs */
	int		 nsubject;	/* 0: any subject */
	char		 dns[POLICY_MAX][POLICY_PATMAX]; /* domains (and below) */
	int		 ndns;
	struct policy_net ip[POLICY_MAX];
	int		 nip;
	int		 eku[POLICY_MAX];	/* NIDs a request may ask for */
	int		 neku;
	int		 ca;		/* CA:TRUE may be requested */
	int		 rsa_min;	/* bits */
	int		 curves[POLICY_MAX];	/* EC curve NIDs */
	int		 ncurves;
	int		 ed25519;	/* Ed25519 keys allowed */
	int		 max_days;	/* validity cap */
	int		 renew_days;	/* renewal only in the last N days; 0 any */
	/*
	 * EST labels (`label NAME` sections): their policies, each starting
	 * from the built-in defaults; malloc'd, policy_free.
	 */
	struct policy	*label;		/* POLICY_LABELS of them, or NULL */
	char		 label_name[POLICY_LABELS][POLICY_LABELMAX + 1];
	int		 nlabel;
};

/* The built-in defaults (above). */
void	 policy_default(struct policy *);
/* The labels' policies; the struct is the defaults again.  NULL ok. */
void	 policy_free(struct policy *);
/* The policy of EST label name, or NULL. */
const struct policy *policy_label(const struct policy *, const char *,
	    size_t);
/* Parse the text of a policy file; *e names the line and the rule. */
int	 policy_parse(struct policy *, const char *, size_t, struct err *);
/* DIR/policy.conf, or the defaults when there is none. */
int	 policy_load(struct policy *, const char *, struct err *);
/* The policy in force as a policy file (malloc'd, NUL-terminated). */
char	*policy_format(const struct policy *);

/*
 * Check a request against the policy (ERR_REFUSED: *e names the rule)
 * and, when x is not NULL, add the extensions the policy grants to it:
 * basicConstraints, keyUsage, extendedKeyUsage, subjectAltName.
 * trusted: an administrator signs (sign-csr): subject and SAN rules are
 * waived, EKU, CA and key rules are not.
 */
int	 policy_apply(const struct policy *, X509_REQ *, X509 *, X509 *,
	    int, struct err *);
/* Validity in days for a certificate when the CA is set to give days. */
int	 policy_days(const struct policy *, int);
/*
 * May a certificate valid until not_after be renewed at now (renewal
 * window)?  ERR_REFUSED with the rule in *e when not.
 */
int	 policy_renew_ok(const struct policy *, time_t, time_t, struct err *);

#endif
