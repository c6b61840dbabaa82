/* libFuzzer target: the knowledge file parser.
 * fuzz-sources: src/core/knowledge.c src/core/port.c src/core/util.c KNOWLEDGE_BUILTIN */
#include <stdint.h>

#include "portscope/knowledge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The index knowledge_for_port() answers from agrees with a look at every range, in file order. */
static void check_port(const struct knowledge *k, uint32_t port)
{
        const struct knowledge_entry *a[8];

        if (port > 65535)
                return;
        for (int p = 0; p < PS_NPROTO; p++) {
                size_t na = knowledge_for_port(k, (uint16_t)port, (enum ps_proto)p, a, 8), nb = 0;
                for (size_t i = 0; i < knowledge_nentries(k); i++) {
                        const struct knowledge_entry *x = knowledge_entry(k, i);
                        for (size_t j = 0; j < x->nports; j++)
                                if (port >= x->ports[j].lo && port <= x->ports[j].hi &&
                                    (x->ports[j].protos & PS_PROTO_BIT(p))) {
                                        if (nb < 8 && a[nb] != x)
                                                __builtin_trap();
                                        nb++;
                                        break;
                                }
                }
                if (na != nb)
                        __builtin_trap();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct knowledge *k = NULL;
        struct ps_error err;
        const struct knowledge_entry *e[4];

        if (knowledge_parse("fuzz", (const char *)data, size, &k, &err) == 0) {
                size_t n = knowledge_for_port(k, 22, PS_TCP, e, 4);
                /* Every entry the parser accepts has an id and a non-empty name. */
                for (size_t i = 0; i < n && i < 4; i++)
                        if (!e[i]->id[0] || !e[i]->name[0])
                                __builtin_trap();
                (void)knowledge_serves(k, "ssh", "sshd");
                check_port(k, 0);
                check_port(k, 65535);
                for (size_t i = 0; i < knowledge_nentries(k) && i < 64; i++)
                        for (size_t j = 0; j < knowledge_entry(k, i)->nports && j < 16; j++) {
                                const struct ps_portspec *ps = &knowledge_entry(k, i)->ports[j];
                                check_port(k, ps->lo ? ps->lo - 1u : 0);
                                check_port(k, ps->lo);
                                check_port(k, ps->hi);
                                check_port(k, ps->hi + 1u);
                        }
                knowledge_free(k);
        }
        return 0;
}
