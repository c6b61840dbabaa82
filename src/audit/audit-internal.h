/* Private to src/audit: shared by the socket enumeration, the owner walk and the process facts. */
#pragma once

#include "portscope/sockets.h"

/* Frees the strings of p (not p itself). */
void sockets_process_clear(struct sockets_process *p);

/* Reads the facts of each process pids[i] into out[i] (on two threads when there are many).
 * proc_fd is an open /proc. Returns 0 or -ENOMEM; a process that exited keeps empty fields. */
int sockets_read_processes(int proc_fd, const pid_t *pids, size_t n, struct sockets_process *out);

struct mnl_socket;
struct nlmsghdr;
/* Sends the sock_diag dump request nlh (in buf) and runs cb(nlh, data) on each answer until the
 * dump is done. data starts with an int: where cb and the dump's end leave an error. Returns 0 or
 * -errno (-ENOENT, -EOPNOTSUPP...: the kernel has no diag module for what was asked). */
int sockets_nl_dump(struct mnl_socket *nl, const struct nlmsghdr *nlh, char *buf, size_t buflen,
                    int (*cb)(const struct nlmsghdr *nlh, void *data), void *data);
/* Appends a zeroed entry to l, or NULL without memory. */
struct sockets_entry *sockets_list_push(struct sockets_list *l);
/* Dumps the packet sockets of the current network namespace into l (sockets-packet.c). Returns 0,
 * -ENOENT/-EOPNOTSUPP when the kernel has no packet_diag, or another -errno. */
int sockets_dump_packet(struct mnl_socket *nl, char *buf, size_t buflen, struct sockets_list *l);
