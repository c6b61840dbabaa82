/* portscope scan's service identification (-sV, on by default): the open ports of a report, a
 * few connections at a time, each port's probes in src/scan/service.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "scan-cli.h"
#include "portscope/error.h"
#include "portscope/i18n.h"
#include "portscope/scan.h"

struct svc_job {
        struct scan_report *rep;
        volatile sig_atomic_t *stop;
        struct scan_probes *probes;
        pthread_mutex_t *lock;
        size_t next_host, next_port;
        size_t nofiles;  /* ports not identified for want of a file descriptor */
        struct scan_service_opts opts;
};

static struct scan_port_report *svc_next(struct svc_job *j)
{
        struct scan_report *rep = j->rep;
        struct scan_port_report *pr = NULL;
        pthread_mutex_lock(j->lock);
        while (j->next_host < rep->nhosts && !pr) {
                struct scan_host_report *h = &rep->hosts[j->next_host];
                if (j->next_port >= h->nports) {
                        j->next_host++;
                        j->next_port = 0;
                        continue;
                }
                struct scan_port_report *p = &h->ports[j->next_port++];
                if (p->r.state == SCAN_OPEN)
                        pr = p;
        }
        pthread_mutex_unlock(j->lock);
        return pr;
}

static void *svc_worker(void *arg)
{
        struct svc_job *j = arg;
        struct scan_port_report *pr;
        while (!*j->stop && (pr = svc_next(j))) {
                struct scan_service *s = malloc(sizeof(*s));
                int r = s ? scan_service_identify(j->probes, &pr->r.addr, pr->r.port, pr->r.proto, &j->opts, s) : -ENOMEM;
                if (r == 0) {
                        pr->service = s;
                        if (s->excluded)
                                pr->unprobed = SCAN_UNPROBED_EXCLUDED;
                        continue;
                }
                free(s);
                if (r == -EMFILE || r == -ENFILE) {
                        pr->unprobed = SCAN_UNPROBED_NO_FILES;
                        pthread_mutex_lock(j->lock);
                        j->nofiles++;
                        pthread_mutex_unlock(j->lock);
                }
        }
        return NULL;
}

/* How many files this process has open: the entries of /proc/self/fd (less the one reading it),
 * else a probe of every descriptor below limit. */
static unsigned long open_files(unsigned long limit)
{
        unsigned long used = 0;
        DIR *d = opendir("/proc/self/fd");
        if (d) {
                for (struct dirent *e; (e = readdir(d));)
                        used += e->d_name[0] != '.';
                closedir(d);
                return used ? used - 1 : 0;
        }
        for (unsigned long fd = 0; fd < limit; fd++)
                used += fcntl((int)fd, F_GETFD) >= 0;
        return used;
}

/* How many ports service identification may take at a time (at most want): each holds up to
 * two sockets (a probe's, and one listening for a late banner), and OpenSSL may open its
 * configuration file once, so what the open-file limit (the soft one raised to the hard one, as
 * the connect engine does; the SYN engine does not) leaves, less one, halved. *ret_limit:
 * the limit (0 when it leaves room for want). */
static unsigned svc_threads(unsigned want, unsigned long *ret_limit)
{
        struct rlimit rl;
        *ret_limit = 0;
        (void)scan_raise_nofile(); /* the soft limit up to the hard one first, whatever the engine */
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536)
                return want;
        unsigned long used = open_files(rl.rlim_cur);
        unsigned long room = rl.rlim_cur > used + 1 ? (rl.rlim_cur - used - 1) / 2 : 0;
        if (room >= want)
                return want;
        *ret_limit = (unsigned long)rl.rlim_cur;
        return (unsigned)room;
}

void scan_cli_unprobed_interrupted(struct scan_report *rep)
{
        for (size_t i = 0; i < rep->nhosts; i++)
                for (size_t k = 0; k < rep->hosts[i].nports; k++) {
                        struct scan_port_report *pr = &rep->hosts[i].ports[k];
                        if (pr->r.state == SCAN_OPEN && !pr->service && !pr->unprobed)
                                pr->unprobed = SCAN_UNPROBED_INTERRUPTED;
                }
}

void scan_cli_identify(struct scan_report *rep, const struct scan_cli_opts *o, volatile sig_atomic_t *stop)
{
        struct scan_probes *probes = NULL;
        struct ps_error perr;
        if (scan_probes_load(o->probes, &probes, &perr) < 0) {
                if (o->probes) {
                        ps_error_print(NULL, &perr, -EINVAL);
                        exit(PS_EXIT_ERROR);
                }
                probes = NULL; /* banners only */
        }
        pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        struct svc_job job = { .rep = rep, .stop = stop, .probes = probes, .lock = &lock };
        scan_service_opts_init(&job.opts);
        job.opts.wait_ms = o->service_wait;
        job.opts.intensity = o->intensity;
        job.opts.stop = stop;
        size_t nopen = 0;
        for (size_t i = 0; i < rep->nhosts; i++)
                for (size_t j = 0; j < rep->hosts[i].nports; j++)
                        nopen += rep->hosts[i].ports[j].r.state == SCAN_OPEN;
        unsigned long limit;
        unsigned want = nopen < 64 ? (unsigned)nopen : 64, nt = svc_threads(want, &limit);
        if (limit && !nt)
                ps_errorf(_("scan: the open-file limit (ulimit -n %lu) leaves no room for service "
                            "identification: the services are not identified (raise it, or --no-service)"),
                          limit);
        else if (limit)
                ps_errorf(ps_ngettext("scan: the open-file limit (ulimit -n %lu) allows %u service "
                                      "identification at a time, not %u: they take longer",
                                      "scan: the open-file limit (ulimit -n %lu) allows %u service "
                                      "identifications at a time, not %u: they take longer",
                                      nt),
                          limit, nt, want);
        pthread_t tids[64];
        unsigned started = 0;
        for (unsigned i = 0; i < nt; i++)
                if (pthread_create(&tids[i], NULL, svc_worker, &job) == 0)
                        started++;
        for (unsigned i = 0; i < started; i++)
                pthread_join(tids[i], NULL);
        if (job.nofiles)
                ps_errorf(ps_ngettext("scan: %zu port was not identified: too many open files (see ulimit -n)",
                                      "scan: %zu ports were not identified: too many open files (see ulimit -n)",
                                      (unsigned long)job.nofiles),
                          job.nofiles);
        scan_probes_free(probes);
}
