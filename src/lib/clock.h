/*
 * clock: the one source of "now".  NETPKI_NOW (seconds since the epoch)
 * overrides the system clock so that tests of times, validity and
 * schedules do not wait or depend on the day they run; test builds only
 * (testhook.h).
 */
#ifndef NETPKI_CLOCK_H
#define NETPKI_CLOCK_H

#include <time.h>

time_t	 clock_now(void);

#endif
