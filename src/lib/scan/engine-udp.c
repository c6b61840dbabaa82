#include <errno.h>
#include "scan-internal.h"
static int udp_run(const struct scan_config *c, struct scan_stats *stats, char *err, size_t errlen)
{
        return scan_errf(err, errlen, -ENOSYS, "not yet");
}
const struct scan_engine_ops scan_engine_udp_ops = { .name = "udp", .proto = PS_TCP, .needs_raw = true, .run = udp_run };
