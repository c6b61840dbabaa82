/* libFuzzer target: a --resume state file (outside input: an edited file must never point the
 * scanner at a pair outside its scan). The scan: 198.18.0.0/30 and fd00::1 x ports 1-3,625.
 * fuzz-sources: src/scan/resume.c src/scan/report.c src/scan/engine.c src/scan/targets.c src/scan/cookie.c src/scan/ports.c src/scan/engine-connect.c src/scan/engine-syn.c src/scan/engine-udp.c src/scan/capture.c src/scan/perm.c src/scan/work.c src/scan/probes/payloads.c src/scan/probes/tcp.c src/scan/probes/icmp.c src/core/csv.c src/core/knowledge.c src/core/port.c src/core/portinfo.c src/core/registry.c src/core/search.c src/core/jsonw.c src/core/dynbuf.c src/core/judge.c src/core/util.c KNOWLEDGE_BUILTIN -lm -lpthread */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "portscope/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct scan_targets *t;
        static struct scan_ports p;
        static int fd = -1;
        static char path[64];
        char err[256];
        if (!t) {
                t = scan_targets_new();
                if (scan_targets_add(t, "198.18.0.0/30", SCAN_TARGETS_NO_DNS, err, sizeof(err)) < 0 ||
                    scan_targets_add(t, "fd00::1", SCAN_TARGETS_NO_DNS, err, sizeof(err)) < 0 ||
                    scan_targets_finish(t, err, sizeof(err)) < 0 ||
                    scan_ports_parse("1-3,625", PS_TCP, NULL, NULL, &p, err, sizeof(err)) < 0)
                        abort();
                fd = memfd_create("resume", MFD_CLOEXEC);
                if (fd < 0)
                        abort();
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        }
        if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
                return 0;
        struct scan_report rep;
        scan_report_init(&rep);
        struct scan_resume st;
        uint64_t npairs = scan_targets_count(t) * p.n;
        struct ps_error perr = { 0 };
        if (scan_resume_load(path, t, &p, &st, &rep, &perr) == 0) {
                /* Accepted: every pending pair and every result is one of this scan's. */
                for (size_t i = 0; i < st.npending; i++)
                        if (st.mpending[i] >= npairs)
                                abort();
                for (size_t i = 0; i < rep.nhosts; i++) {
                        if (scan_targets_index(t, &rep.hosts[i].addr) < 0)
                                abort();
                        for (size_t j = 0; j < rep.hosts[i].nports; j++)
                                if (rep.hosts[i].ports[j].r.index >= npairs)
                                        abort();
                }
                free(st.mpending);
        } else if (!perr.message[0]) {
                abort(); /* a refusal always says why */
        }
        scan_report_free(&rep);
        return 0;
}
