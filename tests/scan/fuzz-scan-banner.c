/* libFuzzer target: a banner from a server, matched against rules and templates ($1, $P(1),
 * $SUBST) and printed through every output format.
 * fuzz-sources: src/scan/capture.c src/scan/cookie.c src/scan/engine.c src/scan/engine-connect.c src/scan/engine-syn.c src/scan/engine-udp.c src/scan/perm.c src/scan/ports.c src/scan/report.c src/scan/resume.c src/scan/service.c src/scan/probes/stun.c src/scan/probes/rpc.c src/scan/probes/mqtt.c src/scan/store.c src/scan/targets.c src/scan/work.c src/scan/probes/payloads.c src/scan/probes/service-probes.c src/scan/probes/tcp.c src/scan/probes/icmp.c src/scan/outputs/outputs.c src/scan/outputs/text.c src/scan/outputs/json.c src/scan/outputs/xml.c src/scan/outputs/grep.c -lpcre2-8 -lsqlite3 -lssl -lcrypto src/core/store.c src/core/csv.c src/core/knowledge.c src/core/port.c src/core/portinfo.c src/core/registry.c src/core/search.c src/core/jsonw.c src/core/dynbuf.c src/core/judge.c src/core/util.c KNOWLEDGE_BUILTIN -lm -lpthread */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/scan.h"

static const char rules[] =
        "Probe TCP NULL q||\n"
        "match ssh m|^SSH-([\\d.]+)-OpenSSH_([\\w._-]+)[ -]{1,2}Debian[ -_]([^\\r\\n]+)\\r?\\n| p/OpenSSH/ v/$2 Debian $3/ "
        "i/protocol $1/\n"
        "match ftp m|^220 (.*)\\r\\n|s p/$P(1)/ v/$SUBST(1,\"_\",\".\")/\n"
        "softmatch http m|^HTTP/1\\.[01] (\\d+)(.*)|s i/$1$2/\n"
        "Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|\n"
        "match http m|^HTTP/1\\.[01] \\d\\d\\d .*\\r\\nServer: ([^\\r\\n/]*)/?([^\\r\\n]*)|s p/$1/ v/$2/\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct scan_probes *p;
        struct ps_error err;
        if (!p && scan_probes_parse("rules", rules, sizeof(rules) - 1, &p, &err) < 0)
                return 0;
        struct scan_report rep;
        scan_report_init(&rep);
        struct scan_result r = { .port = 625, .proto = PS_TCP, .state = SCAN_OPEN };
        scan_addr_parse("198.18.0.2", &r.addr);
        if (scan_report_add(&rep, &r) < 0)
                return 0;
        struct scan_port_report *pr = &rep.hosts[0].ports[0];
        struct scan_service *s = calloc(1, sizeof(*s));
        if (!s) {
                scan_report_free(&rep);
                return 0;
        }
        s->banner_len = size < sizeof(s->banner) ? size : sizeof(s->banner);
        memcpy(s->banner, data, s->banner_len);
        scan_probes_match(p, size % 2 ? "NULL" : "GetRequest", PS_TCP, data, size, s);
        pr->service = s;
        scan_report_finish(&rep);
        FILE *f = fopen("/dev/null", "w");
        if (f) {
                for (size_t i = 0; scan_outputs[i]; i++)
                        scan_outputs[i]->write(&rep, f, false);
                fclose(f);
        }
        scan_report_free(&rep);
        return 0;
}
