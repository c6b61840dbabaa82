/* libFuzzer target: --merge of --jsonl shard outputs (outside input: files copied between
 * machines). The input is split at form feeds into up to four files merged in turn. Checks: a
 * refusal says why and leaves the report as it was; what is accepted is well-formed and judged,
 * and the JSONL output of the merged report is accepted again by --merge with the same ports (of
 * the hosts it shows) and the same counts for every host.
 * fuzz-sources: src/scan/merge.c src/scan/outputs/outputs.c src/scan/outputs/json.c src/scan/outputs/text.c src/scan/outputs/xml.c src/scan/outputs/grep.c src/scan/resume.c src/scan/report.c src/scan/engine.c src/scan/targets.c src/scan/cookie.c src/scan/ports.c src/scan/engine-connect.c src/scan/engine-syn.c src/scan/engine-udp.c src/scan/capture.c src/scan/perm.c src/scan/work.c src/scan/probes/payloads.c src/scan/probes/tcp.c src/scan/probes/icmp.c src/core/csv.c src/core/knowledge.c src/core/port.c src/core/portinfo.c src/core/registry.c src/core/search.c src/core/jsonw.c src/core/dynbuf.c src/core/judge.c src/core/util.c KNOWLEDGE_BUILTIN -lm -lpthread */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/scan.h"
#include "scan/outputs/outputs.h"

static size_t count_ports(const struct scan_report *rep)
{
        size_t n = 0;
        for (size_t i = 0; i < rep->nhosts; i++)
                n += rep->hosts[i].nports;
        return n;
}

/* The ports an output lists: those of the hosts it shows. */
static size_t count_shown_ports(const struct scan_report *rep)
{
        size_t n = 0;
        for (size_t i = 0; i < rep->nhosts; i++)
                if (scan_host_shown(rep, &rep->hosts[i]))
                        n += rep->hosts[i].nports;
        return n;
}

/* Whether rep2 (rep written as JSONL and merged again) has rep's counts for every host. */
static bool same_counts(const struct scan_report *rep, const struct scan_report *rep2)
{
        size_t k = 0;
        for (size_t i = 0; i < rep->nhosts; i++) {
                const struct scan_host_report *h = &rep->hosts[i];
                if (!scan_host_counted(h))
                        continue; /* no host line, and maybe no port line shown */
                while (k < rep2->nhosts && scan_addr_compare(&rep2->hosts[k].addr, &h->addr) < 0)
                        k++;
                if (k == rep2->nhosts || scan_addr_compare(&rep2->hosts[k].addr, &h->addr) != 0)
                        return false;
                const struct scan_host_report *g = &rep2->hosts[k];
                if (g->up != h->up || g->closed != h->closed || g->filtered != h->filtered ||
                    g->open_filtered != h->open_filtered)
                        return false;
        }
        return true;
}

static void check_service(const struct scan_service *s)
{
        if (!s)
                return;
        if (strnlen(s->name, sizeof(s->name)) == sizeof(s->name) ||
            strnlen(s->product, sizeof(s->product)) == sizeof(s->product) ||
            strnlen(s->version, sizeof(s->version)) == sizeof(s->version) ||
            strnlen(s->info, sizeof(s->info)) == sizeof(s->info) ||
            strnlen(s->probe, sizeof(s->probe)) == sizeof(s->probe) || s->banner_len > sizeof(s->banner))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct knowledge *kn;
        static bool loaded;
        if (!loaded && knowledge_load(NULL, &kn, NULL) < 0)
                kn = NULL;
        loaded = true;
        struct scan_merge m;
        struct scan_report rep;
        scan_merge_init(&m);
        scan_report_init(&rep);
        rep.knowledge = kn;
        const char *p = (const char *)data, *end = p + size;
        bool ok = true;
        for (int f = 0; f < 4 && p <= end && ok; f++) {
                const char *ff = memchr(p, '\f', (size_t)(end - p));
                size_t len = ff ? (size_t)(ff - p) : (size_t)(end - p);
                FILE *in = fmemopen((void *)p, len ? len : 1, "r");
                if (!in)
                        break;
                size_t before = count_ports(&rep), nhosts = rep.nhosts;
                struct ps_error err = { 0 };
                if (len == 0) /* fmemopen refuses size 0: an empty file is a one-byte blank */
                        in = (fclose(in), fmemopen((void *)"\n", 1, "r"));
                int r = scan_merge_read(&m, &rep, "f.jsonl", in, &err);
                fclose(in);
                if (r < 0) {
                        if (!err.message[0] || count_ports(&rep) != before || rep.nhosts != nhosts)
                                abort(); /* a refusal says why and changes nothing */
                        ok = false;
                }
                if (!ff)
                        break;
                p = ff + 1;
        }
        if (m.nfiles > 0) {
                if (scan_report_finish(&rep) < 0)
                        abort();
                for (size_t i = 0; i < rep.nhosts; i++)
                        for (size_t j = 0; j < rep.hosts[i].nports; j++) {
                                const struct scan_port_report *pr = &rep.hosts[i].ports[j];
                                if (pr->r.proto != m.proto || !pr->facts)
                                        abort();
                                check_service(pr->service);
                        }
                /* Every output copes with a merged report (a port count without its list). */
                FILE *devnull = fopen("/dev/null", "w");
                for (size_t i = 0; scan_outputs[i] && devnull; i++)
                        if (scan_outputs[i]->write(&rep, devnull, false) < 0)
                                abort();
                if (devnull)
                        fclose(devnull);
                /* Our own output is accepted again, with the same ports. */
                char *buf = NULL;
                size_t blen = 0;
                FILE *out = open_memstream(&buf, &blen);
                if (out && scan_outputs[0] && scan_output_find("jsonl")->write(&rep, out, false) == 0 &&
                    fclose(out) == 0) {
                        out = NULL;
                        FILE *in = fmemopen(buf, blen, "r");
                        struct scan_merge m2;
                        struct scan_report rep2;
                        struct ps_error err = { 0 };
                        scan_merge_init(&m2);
                        scan_report_init(&rep2);
                        if (!in || scan_merge_read(&m2, &rep2, "again.jsonl", in, &err) < 0 ||
                            scan_report_finish(&rep2) < 0 || count_ports(&rep2) != count_shown_ports(&rep) ||
                            !same_counts(&rep, &rep2)) {
                                fprintf(stderr, "not accepted again: %u: %s\n%.*s\n", err.line, err.message,
                                        (int)blen, buf);
                                abort();
                        }
                        fclose(in);
                        scan_report_free(&rep2);
                        scan_merge_free(&m2);
                }
                if (out)
                        fclose(out);
                free(buf);
        }
        scan_report_free(&rep);
        scan_merge_free(&m);
        return 0;
}
