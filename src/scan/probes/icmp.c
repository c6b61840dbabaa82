/* portscope scan — what an ICMP destination unreachable says, for the SYN engine's raw replies
 * and the UDP engine's socket errors alike (include/portscope/scan.h). */
#include <stdbool.h>
#include <stdint.h>

#include "portscope/scan.h"

enum scan_reason scan_icmp_unreach_reason(bool v6, uint8_t code)
{
        if (v6) {
                switch (code) {
                case 0: return SCAN_REASON_NO_ROUTE;
                case 1: case 5: return SCAN_REASON_ADMIN_PROHIBITED;
                case 2: return SCAN_REASON_BEYOND_SCOPE;
                case 3: return SCAN_REASON_HOST_UNREACH;
                case 4: return SCAN_REASON_PORT_UNREACH;
                case 6: return SCAN_REASON_REJECT_ROUTE;
                default: return SCAN_REASON_DEST_UNREACH;
                }
        }
        switch (code) {
        case 0: case 6: case 11: return SCAN_REASON_NET_UNREACH;
        case 1: case 7: case 12: return SCAN_REASON_HOST_UNREACH;
        case 2: return SCAN_REASON_PROTO_UNREACH;
        case 3: return SCAN_REASON_PORT_UNREACH;
        case 9: return SCAN_REASON_NET_PROHIBITED;
        case 10: return SCAN_REASON_HOST_PROHIBITED;
        case 13: return SCAN_REASON_ADMIN_PROHIBITED;
        default: return SCAN_REASON_DEST_UNREACH;
        }
}
