/* One error model: see include/portscope/error.h. */
#include "portscope/error.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "portscope/i18n.h"
#include "portscope/util.h"

int ps_error_vset(struct ps_error *err, int r, const char *file, unsigned line, unsigned column, const char *fmt,
                  va_list ap)
{
        if (!err)
                return r;
        snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
        err->line = line;
        err->column = column;
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        return r;
}

int ps_error_set(struct ps_error *err, int r, const char *file, unsigned line, unsigned column, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        ps_error_vset(err, r, file, line, column, fmt, ap);
        va_end(ap);
        return r;
}

void ps_error_print(const char *command, const struct ps_error *err, int r)
{
        fputs("portscope: ", stderr);
        if (command && *command) {
                ps_term_escape(stderr, command, (size_t)-1, false);
                fputs(": ", stderr);
        }
        if (err->file[0]) {
                ps_term_escape(stderr, err->file, (size_t)-1, false);
                if (err->line)
                        fprintf(stderr, ":%u", err->line);
                if (err->line && err->column)
                        fprintf(stderr, ":%u", err->column);
                fputs(": ", stderr);
        }
        ps_term_escape(stderr, err->message[0] ? err->message : strerror(r < 0 ? -r : r), (size_t)-1, false);
        fputc('\n', stderr);
}

void ps_verrorf(const char *fmt, va_list ap)
{
        char buf[2048];

        vsnprintf(buf, sizeof(buf), fmt, ap);
        fputs("portscope: ", stderr);
        ps_term_escape(stderr, buf, (size_t)-1, false);
        fputc('\n', stderr);
}

int ps_output_written(int ret)
{
        if (fflush(stdout) == 0 && !ferror(stdout))
                return ret;
        if (ret != PS_EXIT_ERROR)
                ps_errorf(_("cannot write output: %s"), strerror(errno));
        return PS_EXIT_ERROR;
}

void ps_errorf(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        ps_verrorf(fmt, ap);
        va_end(ap);
}

int ps_option_error(const char *command, const char *optstring, char *const argv[])
{
        enum { UNKNOWN, NO_VALUE, NEEDS_VALUE } what = UNKNOWN;
        const char *arg = optind > 0 ? argv[optind - 1] : "";
        bool is_long = arg && strncmp(arg, "--", 2) == 0;
        /* An unknown option inside a cluster ("-T4"): getopt has not moved past the cluster, and the
         * word before it may be a long option ("--json -T4" is not about --json). */
        const char *cur = optind > 0 ? argv[optind] : NULL;
        if (is_long && cur && cur[0] == '-' && cur[1] && cur[1] != '-' && optopt > 0 && optopt < 128 &&
            strchr(cur + 1, optopt))
                is_long = false;
        char shortopt[3] = { '-', (char)optopt, '\0' };
        int len = -1; /* all of arg */
        bool cmd = command && *command;

        if (is_long && optopt) {
                /* A known long option: its value is missing, or given to one that takes none. */
                const char *eq = strchr(arg, '=');
                what = eq ? NO_VALUE : NEEDS_VALUE;
                if (eq)
                        len = (int)(eq - arg);
        } else if (!is_long) {
                const char *o = optopt > 0 && optopt < 128 ? strchr(optstring, optopt) : NULL;
                if (o && o[1] == ':')
                        what = NEEDS_VALUE;
                arg = shortopt;
        }
        if (len < 0)
                len = (int)strlen(arg);
        /* Whole sentences for translators; the command is its English name either way. */
        switch (what) {
        case UNKNOWN:
                if (cmd)
                        ps_errorf(_("%s: unknown option '%.*s' (try 'portscope %s --help')"), command, len, arg, command);
                else
                        ps_errorf(_("unknown option '%.*s' (try 'portscope --help')"), len, arg);
                break;
        case NO_VALUE:
                if (cmd)
                        ps_errorf(_("%s: option '%.*s' takes no value (try 'portscope %s --help')"), command, len, arg,
                                  command);
                else
                        ps_errorf(_("option '%.*s' takes no value (try 'portscope --help')"), len, arg);
                break;
        case NEEDS_VALUE:
                if (cmd)
                        ps_errorf(_("%s: option '%.*s' needs a value (try 'portscope %s --help')"), command, len, arg,
                                  command);
                else
                        ps_errorf(_("option '%.*s' needs a value (try 'portscope --help')"), len, arg);
                break;
        }
        return PS_EXIT_ERROR;
}
