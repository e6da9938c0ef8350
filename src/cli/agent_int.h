/*
 * agent_int: what agent.c shares with its parts by concern: the expiry
 * alarms (agent_alarm.c) and the metrics file (agent_metrics.c).
 */
#ifndef NETPKI_AGENT_INT_H
#define NETPKI_AGENT_INT_H

#include <time.h>

struct err;
struct expiry_list;
struct store;

/*
 * Log each watched certificate's alarm level that was not logged before
 * (expiry.h), remember it, and return when the next level is reached (0:
 * never).
 */
time_t	 agent_alarms(struct store *, const struct expiry_list *, time_t);

/*
 * Write the node_exporter textfile at path (atomically: temporary file,
 * fsync, rename): certificate expiry and renewal figures.
 */
int	 agent_metrics_write(const char *, struct store *,
	    const struct expiry_list *, time_t, struct err *);

#endif
