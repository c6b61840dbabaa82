/* Private to src/audit: socket owners through a BPF task-file iterator. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Calls emit(inode, tgid, data) for every socket descriptor of every process (threads sharing
 * a descriptor table are visited once). Returns 0, the first negative value emit returned, or
 * -errno with a one-line reason in err (no BTF, no privilege, the verifier refused). */
int sockets_bpf_owners(int (*emit)(uint64_t ino, uint32_t pid, void *data), void *data, char *err, size_t errlen);
