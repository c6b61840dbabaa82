/* portscope scan's command line (src/cli/scan/). */
#ifndef PORTSCOPE_SCAN_CLI_H
#define PORTSCOPE_SCAN_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "portscope/scan.h"

/* The options of one run (main.c). */
struct scan_cli_opts {
        const char *ports, *top, *exclude, *exclude_file, *input_file, *engine, *shard, *resume;
        const char *registry, *knowledge, *payloads, *probes, *source_ports;
        const char *oX, *oG, *oJ;
        const char *format;
        const char *format_option; /* the option that chose it */
        bool seed_set, all_states, no_service, no_progress, store, changes, merge;
        uint64_t seed;
        double rate;
        int max_retries;
        unsigned timeout, max_inflight, service_wait, udp_budget, threads, intensity;
};

/* One line "portscope: ..." (escaped) and exit status 2. */
void scan_cli_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* A user-supplied string inside an error message, cut to a readable length (scan_cli_die
 * escapes); four at a time. */
const char *scan_cli_quote(const char *s);

/* ---- outputs.c ---- */

/* Before any packet: a -oX/-oG/-oJ file that cannot be written is said now, not after the scan. */
void scan_cli_check_file_output(const char *path, const char *option);
/* One stream a reader can parse: one output on stdout, and each file written by one output. */
void scan_cli_check_outputs_apart(const struct scan_cli_opts *o);
/* The report on stdout and in the -o files; returns the exit status (1: findings). */
int scan_cli_emit(const struct scan_cli_opts *o, const struct scan_report *rep);

/* ---- identify.c ---- */

/* Identifies the services of rep's open ports (a few at a time; the probes file is o->probes or
 * nmap-common's); stop: set on Ctrl-C. Says when the open-file limit slows or stops it. */
void scan_cli_identify(struct scan_report *rep, const struct scan_cli_opts *o, volatile sig_atomic_t *stop);
/* Marks the open ports an interruption left without a service: not probed. */
void scan_cli_unprobed_interrupted(struct scan_report *rep);

/* Prints the usage text. */
void scan_cli_help(void);
/* Rewrites nmap's spellings (-sT -sS -sU -sV -iL -oX -oG -oJ -p- -Pn -n) in argv in place. */
void scan_cli_translate_nmap(int argc, char **argv);

#endif
