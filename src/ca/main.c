/*
 * netpki-ca: placeholder until the SCEP CA server lands.
 */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "netpki-ca: not built yet\n");
	return 1;
}
