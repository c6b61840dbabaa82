/* Opening the registry: finding its source, then mapping the cached index of it or building
 * (and caching) a new one. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "portscope/i18n.h"
#include "portscope/util.h"
#include "registry-internal.h"

/* Picks the registry file: explicit, $PORTSCOPE_REGISTRY, the `update` copy, the system's. */
static int find_source(const char *path, char *buf, size_t len, struct stat *st, struct ps_error *err)
{
        const char *env = getenv("PORTSCOPE_REGISTRY");
        char dd[1024];

        if (!path && env && *env)
                path = env;
        if (path) {
                if (stat(path, st) < 0)
                        return ps_error_set(err, -errno, path, 0, 0, _("cannot open registry: %s"), strerror(errno));
                if (!S_ISREG(st->st_mode))
                        return ps_error_set(err, -EINVAL, path, 0, 0, _("not a regular file"));
                snprintf(buf, len, "%s", path);
                return 0;
        }
        if (ps_data_dir(dd, sizeof(dd)) == 0) {
                int n = snprintf(buf, len, "%s/service-names-port-numbers.csv", dd);
                if (n > 0 && (size_t)n < len && stat(buf, st) == 0 && S_ISREG(st->st_mode))
                        return 0;
        }
        static const char *const system_files[] = { "/usr/share/wireshark/services" };
        for (size_t i = 0; i < sizeof(system_files) / sizeof(system_files[0]); i++)
                if (stat(system_files[i], st) == 0 && S_ISREG(st->st_mode)) {
                        snprintf(buf, len, "%s", system_files[i]);
                        return 0;
                }
        return ps_error_set(err, -ENOENT, "", 0, 0,
                            _("no port registry found: run 'portscope update', name the IANA CSV with --registry FILE "
                              "(or PORTSCOPE_REGISTRY), or install Debian's libwireshark-data"));
}

int registry_open(const char *path, unsigned flags, struct registry **ret, struct ps_error *err)
{
        char src_path[1024], cache[1024] = "", obs_path[1024] = "";
        struct stat st, ost;
        struct file_key src, obs = { 0 };
        const char *obs_env = getenv("PORTSCOPE_NMAP_SERVICES");
        bool have_obs = false;
        int r;

        r = find_source(path, src_path, sizeof(src_path), &st, err);
        if (r < 0)
                return r;
        registry_file_key(&st, &src);
        if (!(flags & REGISTRY_OPEN_NO_OBSERVED)) {
                const char *op = obs_env ? obs_env : "/usr/share/nmap/nmap-services";
                if (*op && stat(op, &ost) == 0 && S_ISREG(ost.st_mode)) {
                        snprintf(obs_path, sizeof(obs_path), "%s", op);
                        registry_file_key(&ost, &obs);
                        have_obs = true;
                }
        }

        if (!(flags & REGISTRY_OPEN_NO_CACHE)) {
                char dir[900], real[PATH_MAX];
                const char *key = realpath(src_path, real) ? real : src_path;
                if (ps_cache_dir(dir, sizeof(dir)) == 0) {
                        int n = snprintf(cache, sizeof(cache), "%s/registry-%016llx%s.idx", dir,
                                         (unsigned long long)ps_fnv1a(key, strlen(key)), have_obs ? "" : "-noobs");
                        if (n < 0 || (size_t)n >= sizeof(cache))
                                cache[0] = '\0';
                }
                if (cache[0]) {
                        struct registry *reg = registry_image_map(cache, &src, &obs);
                        if (reg) {
                                snprintf(reg->cache_path, sizeof(reg->cache_path), "%s", cache);
                                *ret = reg;
                                return 0;
                        }
                }
        }

        char *data = NULL, *odata = NULL;
        size_t len = 0, olen = 0;
        unsigned char *img;
        size_t size;
        r = ps_read_file(src_path, MAX_SOURCE_SIZE, &data, &len);
        if (r < 0)
                return ps_error_set(err, r, src_path, 0, 0, _("cannot read registry: %s"), strerror(-r));
        if (have_obs && ps_read_file(obs_path, MAX_SOURCE_SIZE, &odata, &olen) < 0) {
                have_obs = false;
                obs_path[0] = '\0';
                memset(&obs, 0, sizeof(obs));
        }
        r = registry_build(src_path, data, len, -1, &src, have_obs ? obs_path : NULL, odata, olen,
                              have_obs ? &obs : NULL, &img, &size, err);
        free(data);
        free(odata);
        if (r < 0)
                return r;
        bool cached = false;
        if (cache[0]) {
                char dir[1024];
                snprintf(dir, sizeof(dir), "%s", cache);
                char *slash = strrchr(dir, '/');
                if (slash)
                        *slash = '\0';
                /* A cache that cannot be written only costs time on the next run. */
                cached = ps_mkdir_p(dir) == 0 && ps_write_file_atomic(cache, img, size, 0600) == 0;
        }
        struct registry *reg = registry_image_wrap(img, size, false);
        if (!reg) {
                free(img);
                return ps_error_set(err, -ENOMEM, src_path, 0, 0, _("out of memory"));
        }
        if (cached)
                snprintf(reg->cache_path, sizeof(reg->cache_path), "%s", cache);
        *ret = reg;
        return 0;
}
