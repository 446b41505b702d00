/* rebuy — the command table. (Commands are added as they are written.) */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("rebuy %s\n", REBUY_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: rebuy COMMAND [OPTIONS] INPUT\n");
	return 2;
}
