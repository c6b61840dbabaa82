/* libFuzzer target: the audit baseline parser (outside input) and the matcher and formatter on
 * whatever it accepted.
 * fuzz-sources: src/audit/baseline.c src/audit/sockets.c src/audit/sockets-packet.c src/audit/owners.c src/audit/process.c src/audit/bpf-iter.c src/core/util.c src/core/port.c -lmnl -lpthread
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "portscope/baseline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct baseline *b = NULL;
        struct ps_error err;
        static const uint8_t any[16];
        const char *names[] = { "sshd", "*" };
        char buf[128];

        if (baseline_parse("fuzz", (const char *)data, size, &b, &err) < 0) {
                /* Errors must be terminated strings with a position inside the input. */
                if (strnlen(err.message, sizeof(err.message)) == sizeof(err.message) || err.line > size + 1)
                        __builtin_trap();
                return 0;
        }
        struct baseline plain = { .origin = b->origin, .v = b->v, .n = b->n };
        bool *seen = malloc(b->n ? b->n : 1);
        for (size_t i = 0; i < b->n; i++) {
                const struct baseline_entry *e = &b->v[i];
                if (!e->reason || !*e->reason || e->port_lo > e->port_hi)
                        __builtin_trap();
                baseline_entry_format(e, buf, sizeof(buf));
                for (unsigned k = 0; k < 2; k++) {
                        uint16_t port = k ? e->port_hi : e->port_lo;
                        int fam = e->has_address ? e->family : AF_INET;
                        const uint8_t *addr = e->has_address ? e->address : any;
                        /* The port index answers what a scan of every entry answers. */
                        long m = baseline_match(b, SOCKETS_TCP, port, fam, addr, names, 2);
                        if (m != baseline_match(&plain, SOCKETS_TCP, port, fam, addr, names, 2))
                                __builtin_trap();
                        if (seen && m >= 0) {
                                memset(seen, 0, b->n);
                                baseline_mark_matches(b, SOCKETS_TCP, port, fam, addr, names, 2, seen);
                                if (!seen[m])
                                        __builtin_trap();
                        }
                }
        }
        free(seen);
        baseline_free(b);
        return 0;
}
