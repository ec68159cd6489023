/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virqfd (part of vfio.ko, as upstream): an eventfd that, when signalled, runs a handler
 * (typically INTx unmask) in atomic context and optionally a thread.
 *
 * A driver keeps a "struct virqfd *" slot per watched eventfd; the
 * object behind it is private to virqfd. The slot reads NULL
 * once the virqfd is gone, by disable or because the eventfd closed.
 */
#ifndef _VFIO_VIRQFD_H
#define _VFIO_VIRQFD_H

struct virqfd;

/*
 * Watch eventfd @fd: on each signal run @handler(@opaque, @data) in the
 * wakeup's atomic context and, when it returns nonzero (or there is no
 * @handler), @thread(@opaque, @data) from a work item. -EBUSY if
 * *@pvirqfd is already in use.
 */
int vfio_virqfd_enable(void *opaque,
		       int (*handler)(void *opaque, void *data),
		       void (*thread)(void *opaque, void *data),
		       void *data, struct virqfd **pvirqfd, int fd);

/* Wait until the thread of *@pvirqfd has run for every signal so far. */
void vfio_virqfd_flush_thread(struct virqfd **pvirqfd);

/* Stop watching; returns once the virqfd is gone. */
void vfio_virqfd_disable(struct virqfd **pvirqfd);

/* Only vfio.ko's init and exit: virqfd's cleanup workqueue. */
int vfio_virqfd_init(void);
void vfio_virqfd_exit(void);

#endif /* _VFIO_VIRQFD_H */
