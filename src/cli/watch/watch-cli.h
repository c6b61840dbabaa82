/* portscope watch: what its main.c and usage.c share. */
#ifndef PORTSCOPE_WATCH_CLI_H
#define PORTSCOPE_WATCH_CLI_H

/* Prints the usage text (--help) on standard output. */
void watch_cli_help(void);

#endif
