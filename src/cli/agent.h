/*
 * agent: `netpki agent`, the foreground daemon for timed work (the trust
 * pool's automatic update, pending SCEP enrollments).  main.c hands it
 * the arguments after the word "agent".
 */
#ifndef NETPKI_AGENT_H
#define NETPKI_AGENT_H

int	 agent_main(int, char *[]);

#endif
