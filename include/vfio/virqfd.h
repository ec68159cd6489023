/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio_virqfd.ko: an eventfd that, when signalled, runs a handler
 * (typically INTx unmask) in atomic context and optionally a thread.
 */
#ifndef _VFIO_VIRQFD_H
#define _VFIO_VIRQFD_H

#include <linux/eventfd.h>
#include <linux/poll.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

struct virqfd {
	void			*opaque;
	struct eventfd_ctx	*eventfd;
	int			(*handler)(void *opaque, void *data);
	void			(*thread)(void *opaque, void *data);
	void			*data;
	struct work_struct	inject;
	wait_queue_entry_t	wait;
	poll_table		pt;
	struct work_struct	shutdown;
	struct work_struct	flush_inject;
	struct virqfd		**pvirqfd;
};

int vfio_virqfd_enable(void *opaque, int (*handler)(void *, void *),
		       void (*thread)(void *, void *), void *data,
		       struct virqfd **pvirqfd, int fd);
void vfio_virqfd_disable(struct virqfd **pvirqfd);
void vfio_virqfd_flush_thread(struct virqfd **pvirqfd);

#endif /* _VFIO_VIRQFD_H */
