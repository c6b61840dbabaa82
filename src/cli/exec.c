/* Subcommands that need heavier libraries (netlink, SQLite, libh2o, PCRE2, libcurl) live in
 * helper executables, so that `portscope info` starts with libc and jansson only. A helper is
 * looked up beside this program (the build tree), then in ../libexec/portscope from it (an
 * install moved to another prefix, or staged under a DESTDIR), then in the libexec directory it
 * was installed to. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"

static void try_exec(const char *dir, const char *helper, char **argv)
{
        char path[PATH_MAX];
        int n = snprintf(path, sizeof(path), "%s/%s", dir, helper);

        if (n > 0 && (size_t)n < sizeof(path) && access(path, X_OK) == 0)
                execv(path, argv);
}

int cli_exec_component(const char *component, const char *subcommand, int argc, char **argv)
{
        char self[PATH_MAX], helper[64];
        char **nargv = calloc((size_t)argc + 3, sizeof(char *));
        ssize_t len;

        if (!nargv) {
                ps_errorf("out of memory");
                return PS_EXIT_ERROR;
        }
        snprintf(helper, sizeof(helper), "portscope-%s", component);
        nargv[0] = helper;
        nargv[1] = (char *)subcommand;
        for (int i = 0; i < argc; i++)
                nargv[i + 2] = argv[i];
        len = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (len > 0) {
                self[len] = '\0';
                *strrchr(self, '/') = '\0';
                try_exec(self, helper, nargv);
                char rel[PATH_MAX];
                int n = snprintf(rel, sizeof rel, "%s/../libexec/portscope", self);
                if (n > 0 && (size_t)n < sizeof rel)
                        try_exec(rel, helper, nargv);
        }
        try_exec(PORTSCOPE_LIBEXECDIR, helper, nargv);
        ps_errorf("%s: this part of portscope is not installed (looked beside %s, in ../libexec/portscope from there "
                  "and in %s)",
                  subcommand, len > 0 ? self : "the program", PORTSCOPE_LIBEXECDIR);
        free(nargv);
        return PS_EXIT_ERROR;
}
