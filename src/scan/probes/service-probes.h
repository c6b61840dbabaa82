/* portscope scan — nmap-service-probes as the service identification sees it (service.c): the
 * probes in the order nmap sends them, and matching with fallbacks. Internal to src/scan. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portscope/scan.h"

/* One Probe of the file. Read-only once parsed. */
struct scan_probe_def {
        const char *name;
        enum ps_proto proto;
        const unsigned char *payload; /* len 0: the NULL probe (TCP: listen for a banner) */
        size_t len;
        unsigned rarity;       /* 1-9 (5 when the file does not say) */
        unsigned waitms;       /* totalwaitms (default 5000) */
        unsigned tcpwrappedms; /* NULL probe: a close before this is "tcpwrapped" (default 3000) */
};

/* Where a plan stands: start zeroed. */
struct scan_plan {
        int phase;  /* 0: probes naming the port, 1: the others up to the intensity, 2: done */
        size_t pos; /* position in the rarity order */
};

/* The NULL probe (index), or -1 when the file has none. */
int scan_probes_null(const struct scan_probes *ps);
/* The probe at index i (< scan_probes_count). Borrowed. */
void scan_probes_def(const struct scan_probes *ps, int i, struct scan_probe_def *ret);
/* The next probe to send to port (index), or -1 at the end: first those whose ports (tls:
 * sslports) directive names the port, whatever their rarity; then the others whose rarity is at
 * most intensity, and, once soft is set (a softmatched service), only those that can name soft.
 * Each group in rarity order (file order within a rarity). The NULL probe is never returned. */
int scan_probes_next(const struct scan_probes *ps, enum ps_proto proto, uint16_t port, bool tls, unsigned intensity,
                     const char *soft, struct scan_plan *plan);
/* Matches the answer to probe i against its rules, then its fallbacks' (the fallback directive),
 * then (TCP) the NULL probe's, as nmap does. With soft set, soft matches are not taken again. 1
 * and ret filled (name, product, version, info, soft) on a match, 0 without, -errno on error. */
int scan_probes_match_at(struct scan_probes *ps, int i, const unsigned char *resp, size_t len, bool have_soft,
                         struct scan_service *ret);
/* Whether some TCP probe's sslports directive names port (a port where TLS is usual). */
bool scan_probes_sslport(const struct scan_probes *ps, uint16_t port);
/* Whether the Exclude directive keeps port out of service identification. */
bool scan_probes_excluded(const struct scan_probes *ps, enum ps_proto proto, uint16_t port);
