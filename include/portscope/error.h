/* portscope — one error model for every executable: the exit status, where a parse failed, and
 * the one-line "portscope: ..." message on stderr.
 *
 * Library code fills a struct ps_error and returns -errno; the program prints it once. Every
 * message reaches the terminal through ps_term_escape(), so that a file name or an input quoted
 * in it cannot act on the terminal, and it is one line whatever it quotes. Messages name the
 * command ("scan: ..."), never the helper executable that runs it. */
#pragma once

#include <stdarg.h>

/* The exit status of every portscope executable. */
enum ps_exit {
        PS_EXIT_OK = 0,
        PS_EXIT_FINDINGS = 1,      /* audit, scan: something reached --fail-on; listening: nothing there */
        PS_EXIT_ERROR = 2,         /* bad input or a failure, with one line on stderr */
        PS_EXIT_INTERRUPTED = 130, /* SIGINT/SIGTERM: 128 + SIGINT, as shells report it */
};

/* Where a parse or an open failed and why: file, 1-based line and column (0 when not known). */
struct ps_error {
        char file[512];
        unsigned line, column;
        char message[256];
};

/* Fills *err (when not NULL) and returns r, so that a parser can `return ps_error_set(...)`. */
__attribute__((format(printf, 6, 7)))
int ps_error_set(struct ps_error *err, int r, const char *file, unsigned line, unsigned column, const char *fmt, ...);
__attribute__((format(printf, 6, 0)))
int ps_error_vset(struct ps_error *err, int r, const char *file, unsigned line, unsigned column, const char *fmt,
                  va_list ap);

/* Prints "portscope: COMMAND: FILE:LINE:COLUMN: MESSAGE" on stderr, escaped, leaving out what is
 * NULL, empty or 0; strerror(-r) when the message is empty. */
void ps_error_print(const char *command, const struct ps_error *err, int r);

/* Prints "portscope: " and the formatted message, escaped, as one line on stderr. */
__attribute__((format(printf, 1, 2)))
void ps_errorf(const char *fmt, ...);
__attribute__((format(printf, 1, 0)))
void ps_verrorf(const char *fmt, va_list ap);

/* What a command left in stdout's buffer, written: ret, or PS_EXIT_ERROR when it cannot be (a full
 * disk, a closed stdout), with "cannot write output: REASON" unless ret already is PS_EXIT_ERROR
 * (its line is said). */
int ps_output_written(int ret);

/* For getopt_long() loops run with opterr = 0 (getopt's own messages name argv[0], which may be
 * a helper executable, and do not escape): after it returned '?' or ':', prints
 * "portscope: COMMAND: unknown option '--x' (try 'portscope COMMAND --help')" or "... needs a
 * value ..." from optind/optopt, and returns PS_EXIT_ERROR. optstring: the one given to getopt. */
int ps_option_error(const char *command, const char *optstring, char *const argv[]);
