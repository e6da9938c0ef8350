#include <stdio.h>
int
main(void)
{
	printf("netpki: shell not built yet\n");
	return 1;
}
