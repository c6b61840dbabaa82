/* libFuzzer target: the knowledge file parser.
 * fuzz-sources: src/core/knowledge.c src/core/port.c src/core/util.c KNOWLEDGE_BUILTIN */
#include <stdint.h>

#include "portscope/knowledge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
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
                knowledge_free(k);
        }
        return 0;
}
