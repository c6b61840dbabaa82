#include <errno.h>
#include <stdlib.h>
#include "scan-internal.h"
int scan_probes_load(const char *path, struct scan_probes **ret, struct scan_probes_error *err) { return -ENOSYS; }
void scan_probes_free(struct scan_probes *p) {}
int scan_service_identify(struct scan_probes *p, const struct scan_addr *addr, uint16_t port, unsigned wait_ms,
                          unsigned max_probes, struct scan_service *ret) { return -ENOSYS; }
