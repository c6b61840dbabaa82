#include <errno.h>
#include "scan-internal.h"
static int syn_run(const struct scan_config *c, struct scan_stats *stats, char *err, size_t errlen)
{
        return scan_errf(err, errlen, -ENOSYS, "not yet");
}
const struct scan_engine_ops scan_engine_syn_ops = { .name = "syn", .proto = PS_TCP, .needs_raw = true, .run = syn_run };
