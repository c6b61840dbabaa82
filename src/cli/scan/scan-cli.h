/* portscope scan's command line (src/cli/scan/). */
#ifndef PORTSCOPE_SCAN_CLI_H
#define PORTSCOPE_SCAN_CLI_H

/* Prints the usage text. */
void scan_cli_help(void);
/* Rewrites nmap's spellings (-sT -sS -sU -sV -iL -oX -oG -oJ -p- -Pn -n) in argv in place. */
void scan_cli_translate_nmap(int argc, char **argv);

#endif
