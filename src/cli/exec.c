/* Subcommands that need heavier libraries (netlink, SQLite, libmicrohttpd, libpcap, libcurl)
 * live in helper executables, so that `portscope info` starts with libc and jansson only. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"

static int try_exec(const char *dir, const char *component, char **argv)
{
        char path[PATH_MAX];
        int n = snprintf(path, sizeof(path), "%s/portscope-%s", dir, component);

        if (n < 0 || (size_t)n >= sizeof(path) || access(path, X_OK) < 0)
                return -ENOENT;
        execv(path, argv);
        return -errno;
}

int cli_exec_component(const char *component, const char *subcommand, int argc, char **argv)
{
        char self[PATH_MAX], dir[PATH_MAX];
        char **nargv = calloc((size_t)argc + 3, sizeof(char *));
        char name[64];
        const char *env = getenv("PORTSCOPE_LIBEXEC");
        ssize_t len;

        if (!nargv) {
                cli_error("out of memory");
                return EXIT_USAGE;
        }
        snprintf(name, sizeof(name), "portscope-%s", component);
        nargv[0] = name;
        nargv[1] = (char *)subcommand;
        for (int i = 0; i < argc; i++)
                nargv[i + 2] = argv[i];
        len = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (len > 0) {
                self[len] = '\0';
                setenv("PORTSCOPE_EXE", self, 1);
        }
        if (env && *env)
                try_exec(env, component, nargv);
        if (len > 0) {
                char *slash = strrchr(self, '/');
                *slash = '\0';
                try_exec(self, component, nargv);
                /* In the build tree, each component builds in its own source directory. */
                static const char *const build_dirs[][2] = {
                        { "audit", "src/lib/sockets" }, { "serve", "src/lib/http" },
                        { "scan", "src/lib/scan" },     { "update", "src/lib/update" },
                };
                for (size_t i = 0; i < sizeof(build_dirs) / sizeof(build_dirs[0]); i++) {
                        if (strcmp(build_dirs[i][0], component) != 0)
                                continue;
                        int n = snprintf(dir, sizeof(dir), "%s/%s", self, build_dirs[i][1]);
                        if (n > 0 && (size_t)n < sizeof(dir))
                                try_exec(dir, component, nargv);
                }
        }
        try_exec(PORTSCOPE_LIBEXECDIR, component, nargv);
        cli_error("%s: this part of portscope is not installed (portscope-%s not found beside %s or in %s)", subcommand,
                  component, len > 0 ? self : "the program", PORTSCOPE_LIBEXECDIR);
        free(nargv);
        return EXIT_USAGE;
}
