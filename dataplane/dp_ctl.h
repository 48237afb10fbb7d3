/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's side of the control socket (lib/ctlmsg), served by the
 * main lcore from its epoll loop.
 */
#ifndef EP_DP_CTL_H
#define EP_DP_CTL_H

struct dp;

/* Listen on [dataplane] control_socket (before the ports open: a second
 * dataplane on the same profile is refused before it touches anything). */
int dp_ctl_open(struct dp *dp);
/* Serve it from the main loop's epoll fd ep. */
int dp_ctl_attach(struct dp *dp, int ep);
/* 1 if fd was the control socket's (and was served), else 0. */
int dp_ctl_input(struct dp *dp, int fd);
/* Close every session and remove the socket. */
void dp_ctl_close(struct dp *dp);

#endif /* EP_DP_CTL_H */
