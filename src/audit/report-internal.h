/* Private to src/audit/report*.c: what the report's outputs share. */
#pragma once

#include <stddef.h>

#include "portscope/verdict.h"

/* The local address as the table shows it: "::(+v4)" for dual stack, "addr%iface" when bound. */
void report_format_local(const struct sockets_entry *e, char *buf, size_t len);
