/* libFuzzer target: Accept-Language negotiation (any bytes: a language of the table, never a crash).
 * fuzz-sources: src/core/i18n.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/i18n.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        const struct ps_language *l;
        size_t n;

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        l = ps_language_negotiate(s);
        if (!l || l < ps_languages(&n) || l >= ps_languages(&n) + n)
                abort();
        free(s);
        return 0;
}
