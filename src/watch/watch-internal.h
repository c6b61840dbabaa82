/* watch: helpers shared inside src/watch. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Wall clock in milliseconds since the epoch. */
int64_t watch_now_ms(void);
/* Whether addr (family) is a loopback address. */
bool watch_addr_loopback(int family, const uint8_t addr[16]);
