/*
 * cmd_transport: the global `crypto ca http-proxy HOST port PORT`
 * statement (IOS XR), used by every http and https fetch: SCEP, CRLs,
 * trust pool bundles (transport.h).
 */
#include <stddef.h>

#include "cmd.h"
#include "shell.h"
#include "transport.h"

static int
cmd_transport_proxy(struct shell *sh, const struct cmd_args *a)
{
	const char	*host = cmd_arg(a, "WORD");

	if (!a->negated && (host == NULL || !transport_host_ok(host)))
		return shell_error(sh, "Invalid http-proxy host \"%s\": expected "
		    "a host name, an IPv4 or an IPv6 address", host ? host : "");
	return shell_config_set(sh, a);
}

const struct cmd_def cmd_transport_defs[] = {
	{ .mode = MODE_CONFIG, .syntax = "crypto ca http-proxy WORD port "
	    "<1-65535>",
	  .help = CMD_HELP_CRYPTO_CONFIG CMD_HELP_CA
	    "HTTP proxy for enrollment, CRL and trust pool downloads\n"
	    "Proxy server host name or IP address\n"
	    "Proxy server port\n"
	    "Port number",
	  .fn = cmd_transport_proxy, .keylen = 3 },
	{ .syntax = NULL }
};
