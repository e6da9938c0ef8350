#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"

time_t
clock_now(void)
{
	const char	*s = getenv("NETPKI_NOW");
	char		*end;
	long long	 v;

	if (s != NULL && *s != '\0') {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0' && v >= 0)
			return (time_t)v;
	}
	return time(NULL);
}
