#include <errno.h>
#include <stdlib.h>
#include "scan-internal.h"
int scan_probes_load(const char *path, struct scan_probes **ret, struct scan_probes_error *err) { return -ENOSYS; }
void scan_probes_free(struct scan_probes *p) {}
int scan_service_identify(struct scan_probes *p, const struct scan_addr *addr, uint16_t port, unsigned wait_ms,
                          unsigned max_probes, struct scan_service *ret) { return -ENOSYS; }
int scan_store_record(const char *db_path, struct scan_report *rep, bool compare, char *err, size_t errlen) { return -ENOSYS; }
uint64_t scan_fingerprint(const struct scan_targets *t, const struct scan_ports *p, enum scan_engine e) { return 0; }
int scan_resume_save(const char *path, const struct scan_resume *st, const struct scan_report *rep) { return -ENOSYS; }
int scan_resume_load(const char *path, struct scan_resume *ret, struct scan_report *rep, char *err, size_t errlen) { return -ENOSYS; }
