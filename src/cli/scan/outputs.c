/* portscope scan's outputs: the report on stdout in one format, and in the -oX/-oG/-oJ files,
 * each written whole or not at all. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan-cli.h"
#include "portscope/error.h"
#include "portscope/i18n.h"
#include "portscope/util.h"
#include "portscope/verdict.h"

struct output_job {
        const char *fmt;
        const struct scan_report *rep;
};

/* An -o file: XML, greppable and JSON never change with the language (their reasons are
 * composed in English), whatever language the text on the terminal speaks. */
static int fill_output(FILE *f, void *ud)
{
        const struct output_job *j = ud;
        const struct ps_language *was = ps_i18n_use_english();
        int r = scan_output_find(j->fmt)->write(j->rep, f, false);
        ps_i18n_thread_use(was);
        return r;
}

/* Writes the report in format fmt to path ('-': standard output), whole or not at all
 * (ps_write_atomic), so a failed write never leaves a cut-off report where a good one was. */
static int write_file_output(const char *path, const char *fmt, const struct scan_report *rep)
{
        struct output_job j = { fmt, rep };
        int r;
        if (strcmp(path, "-") == 0) {
                r = fill_output(stdout, &j);
                if (fflush(stdout) != 0 && r == 0)
                        r = -errno;
        } else {
                mode_t um = umask(0);
                umask(um);
                r = ps_write_atomic(path, 0666 & ~um, fill_output, &j);
        }
        if (r == -EACCES)
                ps_errorf(_("cannot write '%s': %s (a temporary file beside it is needed)"),
                          scan_cli_quote(path), strerror(-r));
        else if (r < 0)
                ps_errorf(_("cannot write '%s': %s"), scan_cli_quote(path), strerror(-r));
        return r;
}

/* A -oX/-oG/-oJ file that cannot be written is said now, not after the scan
 * (which may be long). Its directory must exist and take a new file (the report is written
 * beside it and renamed); the path itself must not be a directory. */
void scan_cli_check_file_output(const char *path, const char *option)
{
        if (!path || strcmp(path, "-") == 0)
                return;
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
                scan_cli_die(_("%s '%s': is a directory"), option, scan_cli_quote(path));
        char dir[PATH_MAX];
        const char *slash = strrchr(path, '/');
        if (!slash)
                snprintf(dir, sizeof dir, ".");
        else
                snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
                scan_cli_die(_("%s '%s': no directory '%s' to write it in"), option, scan_cli_quote(path), dir);
        if (access(dir, W_OK | X_OK) != 0)
                scan_cli_die(_("%s '%s': cannot write in '%s': %s"),
                             option, scan_cli_quote(path), dir, strerror(errno));
        /* Root passes access() where no file can be made (/proc, a read-only mount): the file is
         * written through a temporary one beside it, so make one now, not after an hour of scanning. */
        char probe[PATH_MAX];
        if (snprintf(probe, sizeof probe, "%s/.portscope-XXXXXX", dir) >= (int)sizeof probe)
                scan_cli_die(_("%s '%s': path too long"), option, scan_cli_quote(path));
        int fd = mkstemp(probe);
        if (fd < 0)
                scan_cli_die(_("%s '%s': cannot write in '%s': %s"),
                             option, scan_cli_quote(path), dir, strerror(errno));
        close(fd);
        unlink(probe);
}

/* The -o outputs named for stdout ("-"): the first, counting how many. */
static const char *stdout_output(const struct scan_cli_opts *o, int *ret_n)
{
        const char *const names[] = { "-oX", "-oG", "-oJ" }, *const files[] = { o->oX, o->oG, o->oJ };
        const char *first = NULL;
        *ret_n = 0;
        for (int i = 0; i < 3; i++)
                if (files[i] && strcmp(files[i], "-") == 0 && (*ret_n)++ == 0)
                        first = names[i];
        return first;
}

/* One stream a reader can parse: one output on stdout, and each file written by one output. */
void scan_cli_check_outputs_apart(const struct scan_cli_opts *o)
{
        int n;
        const char *first = stdout_output(o, &n);
        if (n > 1)
                scan_cli_die(_("only one of -oX, -oG and -oJ can write to standard output ('-')"));
        if (first && o->format)
                scan_cli_die(_("%s and %s - both write to standard output: choose one"), o->format_option, first);
        const char *const names[] = { "-oX", "-oG", "-oJ" }, *const files[] = { o->oX, o->oG, o->oJ };
        for (int i = 0; i < 3; i++)
                for (int j = i + 1; j < 3; j++)
                        if (files[i] && files[j] && strcmp(files[i], "-") != 0 && strcmp(files[i], files[j]) == 0)
                                scan_cli_die(_("%s and %s name the same file '%s': one would overwrite the other"), names[i],
                                          names[j], scan_cli_quote(files[i]));
}

int scan_cli_emit(const struct scan_cli_opts *o, const struct scan_report *rep)
{
        int rc = 0, n;
        const char *fmt = o->format ? o->format : "text";
        bool tty = strcmp(fmt, "text") == 0 ? ps_use_color(stdout) : isatty(1);
        /* -oX - (as nmap): the XML alone on stdout, not after the table. */
        int r = stdout_output(o, &n) ? 0 : scan_output_find(fmt)->write(rep, stdout, tty);
        if (fflush(stdout) != 0 || r < 0)
                rc = PS_EXIT_ERROR;
        if (o->oX && write_file_output(o->oX, "xml", rep) < 0)
                rc = PS_EXIT_ERROR;
        if (o->oG && write_file_output(o->oG, "grep", rep) < 0)
                rc = PS_EXIT_ERROR;
        if (o->oJ && write_file_output(o->oJ, "json", rep) < 0)
                rc = PS_EXIT_ERROR;
        if (rc == 0) {
                for (size_t i = 0; i < rep->nhosts; i++)
                        for (size_t j = 0; j < rep->hosts[i].nports; j++) {
                                /* Findings: an open port judged medium or worse (mismatch,
                                 * unexplained, suspicious); a clean host exits 0. */
                                if (rep->hosts[i].ports[j].severity >= VERDICT_MEDIUM)
                                        rc = PS_EXIT_FINDINGS;
                        }
        }
        return rc;
}

