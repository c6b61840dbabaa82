/* Private to src/audit. */
#pragma once

#include "portscope/sockets.h"

/* Frees the strings of p (not p itself). */
void sockets_process_clear(struct sockets_process *p);
