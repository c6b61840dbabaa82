/* Includes the light skeleton named by PS_LSKEL ("watch.lskel.h", ...): bpftool's generated code
 * trips warnings the project treats as errors, so they are off for it alone.
 *
 *   #define PS_LSKEL "watch.lskel.h"
 *   #include "lskel.h"
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include PS_LSKEL
#pragma GCC diagnostic pop
