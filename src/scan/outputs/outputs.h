/* portscope scan — helpers shared by the output modules. */
#pragma once

#include <errno.h>
#include <stdio.h>

#include "../scan-internal.h"

extern const struct scan_output scan_output_text;
extern const struct scan_output scan_output_json;
extern const struct scan_output scan_output_jsonl;
extern const struct scan_output scan_output_xml;
extern const struct scan_output scan_output_grep;

/* s[0..len) through ps_term_escape, as a malloc'd string ("" on OOM is never returned: NULL). */
char *scan_escape(const char *s, size_t len);
/* Writes s escaped for an XML attribute value or text. s has been through scan_escape. */
void scan_xml_escape(FILE *f, const char *s);
/* "198.18.0.2" */
void scan_addr_str(const struct scan_addr *a, char *buf, size_t len);
/* "OpenSSH 9.2p1 (protocol 2.0)": product, version and info of a service, escaped. Malloc'd. */
char *scan_service_desc(const struct scan_service *s);
/* The first name the registry has for p's port and protocol ("" when none). */
void scan_registered_name(const struct scan_port_report *p, char *buf, size_t len);
/* nmap's time string ("Sun Nov 22 06:27:39 2026", local time) of unix time t; "" if unknown. */
void scan_timestr(long long t, char *buf, size_t len);
/* Whether host h that is not up has its entry in the outputs (one that is up always has: every
 * output lists a host that answered, closed ports only or not): something listed or counted. A host that never
 * answered (every port silent or filtered) only in a scan of at most SCAN_SILENT_HOSTS_SHOWN
 * addresses, as nmap -Pn lists it: a sweep's absent hosts are not thousands of entries. */
bool scan_host_shown(const struct scan_report *rep, const struct scan_host_report *h);
