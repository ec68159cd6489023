// SPDX-License-Identifier: GPL-2.0-only
/*
 * A virqfd watches an eventfd for a bus driver. When userspace (or KVM)
 * signals it, the driver's handler runs right away, in the eventfd's
 * wakeup context (atomic); if the handler asks for more, or there is
 * none, the driver's thread function runs from a work item.
 *
 * A virqfd goes away either through vfio_virqfd_disable() or because
 * its eventfd is closed (EPOLLHUP). Both queue the same shutdown work on
 * our cleanup workqueue; the driver's pointer to the virqfd, cleared
 * under vfio_virqfd_lock, decides who queues it, so it happens once.
 */

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include <linux/poll.h>
#include <linux/wait.h>

#include <vfio/virqfd.h>

/* One watched eventfd. */
struct virqfd {
	/* What the driver gave vfio_virqfd_enable(). */
	struct virqfd		**pvirqfd;	/* the driver's slot */
	int			(*handler)(void *opaque, void *data);
	void			(*thread)(void *opaque, void *data);
	void			*opaque;
	void			*data;

	/* Our hook on the eventfd's waitqueue. */
	struct eventfd_ctx	*eventfd;
	wait_queue_entry_t	wait;
	poll_table		pt;

	/* Deferred work: the thread, its flush, and teardown. */
	struct work_struct	inject;
	struct work_struct	flush_inject;
	struct work_struct	shutdown;
};

/* Runs the shutdown and thread-flush work; ordered, one at a time. */
static struct workqueue_struct *vfio_virqfd_wq;

/*
 * Protects every driver's "struct virqfd *" slot (pvirqfd) against the
 * EPOLLHUP wakeup, which runs with the eventfd's waitqueue lock held
 * (irqs off), so it nests inside that lock; only queue_work() runs
 * under it.
 */
static DEFINE_SPINLOCK(vfio_virqfd_lock);

/* Empty the driver's slot and queue the teardown; under vfio_virqfd_lock. */
static void vfio_virqfd_retire(struct virqfd **slot)
{
	struct virqfd *virqfd = *slot;

	*slot = NULL;
	queue_work(vfio_virqfd_wq, &virqfd->shutdown);
}

/* The eventfd fired: ask the handler, maybe schedule the thread. */
static void vfio_virqfd_fire(struct virqfd *virqfd)
{
	bool need_thread = !virqfd->handler ||
			   virqfd->handler(virqfd->opaque, virqfd->data);

	if (need_thread && virqfd->thread)
		schedule_work(&virqfd->inject);
}

/* Wakeup callback on the eventfd's waitqueue: atomic context. */
static int vfio_virqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			      int sync, void *key)
{
	struct virqfd *virqfd = container_of(wait, struct virqfd, wait);
	__poll_t events = key_to_poll(key);
	unsigned long flags;

	if (events & EPOLLIN) {
		u64 count;

		/* Consume the signal so the next one wakes us again. */
		eventfd_ctx_do_read(virqfd->eventfd, &count);
		vfio_virqfd_fire(virqfd);
	}

	if (events & EPOLLHUP) {
		/*
		 * The eventfd is being released. Unless disable got here
		 * first (the slot no longer points to us), tear down. The
		 * virqfd cannot be freed meanwhile: its shutdown has to
		 * take the waitqueue lock we run under to unhook us.
		 */
		spin_lock_irqsave(&vfio_virqfd_lock, flags);
		if (*virqfd->pvirqfd == virqfd)
			vfio_virqfd_retire(virqfd->pvirqfd);
		spin_unlock_irqrestore(&vfio_virqfd_lock, flags);
	}
	return 0;
}

static void vfio_virqfd_inject(struct work_struct *work)
{
	struct virqfd *virqfd = container_of(work, struct virqfd, inject);

	if (virqfd->thread)
		virqfd->thread(virqfd->opaque, virqfd->data);
}

static void vfio_virqfd_flush_inject(struct work_struct *work)
{
	struct virqfd *virqfd = container_of(work, struct virqfd,
					     flush_inject);

	flush_work(&virqfd->inject);
}

static void vfio_virqfd_shutdown(struct work_struct *work)
{
	struct virqfd *virqfd = container_of(work, struct virqfd, shutdown);
	u64 count;

	eventfd_ctx_remove_wait_queue(virqfd->eventfd, &virqfd->wait, &count);
	/* No new inject can be scheduled now; let a running one finish. */
	flush_work(&virqfd->inject);
	eventfd_ctx_put(virqfd->eventfd);
	kfree(virqfd);
}

/* vfs_poll() tells us the eventfd's waitqueue: hook into it. */
static void vfio_virqfd_queue_proc(struct file *file, wait_queue_head_t *wqh,
				   poll_table *pt)
{
	struct virqfd *virqfd = container_of(pt, struct virqfd, pt);

	add_wait_queue(wqh, &virqfd->wait);
}

/* Only one virqfd per slot; disable and EPOLLHUP test the slot. */
static int vfio_virqfd_claim(struct virqfd **pvirqfd, struct virqfd *virqfd)
{
	int ret = -EBUSY;

	spin_lock_irq(&vfio_virqfd_lock);
	if (!*pvirqfd) {
		*pvirqfd = virqfd;
		ret = 0;
	}
	spin_unlock_irq(&vfio_virqfd_lock);
	return ret;
}

/**
 * vfio_virqfd_enable - run @handler/@thread whenever eventfd @fd fires
 * @opaque: first argument of @handler and @thread
 * @handler: called in atomic context; nonzero return runs @thread
 * @thread: called from a work item; may be NULL
 * @data: second argument of @handler and @thread
 * @pvirqfd: the driver's slot; must be NULL, holds the virqfd while
 *	it lives, is cleared when it goes away
 * @fd: an eventfd
 *
 * Returns 0, -EBADF, -EINVAL (not an eventfd), -EBUSY (@pvirqfd is
 * taken) or -ENOMEM. A signal pending on @fd fires immediately.
 */
int vfio_virqfd_enable(void *opaque,
		       int (*handler)(void *opaque, void *data),
		       void (*thread)(void *opaque, void *data),
		       void *data, struct virqfd **pvirqfd, int fd)
{
	struct virqfd *virqfd;
	__poll_t events;
	int ret;

	/*
	 * Hold the file until the virqfd is hooked up: a close in between
	 * must find us on the waitqueue to deliver EPOLLHUP.
	 */
	CLASS(fd, f)(fd);
	if (fd_empty(f))
		return -EBADF;

	virqfd = kzalloc(sizeof(*virqfd), GFP_KERNEL_ACCOUNT);
	if (!virqfd)
		return -ENOMEM;
	*virqfd = (struct virqfd) {
		.pvirqfd = pvirqfd, .opaque = opaque, .data = data,
		.handler = handler, .thread = thread,
	};
	INIT_WORK(&virqfd->inject, vfio_virqfd_inject);
	INIT_WORK(&virqfd->flush_inject, vfio_virqfd_flush_inject);
	INIT_WORK(&virqfd->shutdown, vfio_virqfd_shutdown);

	/* -EINVAL if the file is no eventfd. */
	virqfd->eventfd = eventfd_ctx_fileget(fd_file(f));
	ret = PTR_ERR_OR_ZERO(virqfd->eventfd);
	if (!ret) {
		ret = vfio_virqfd_claim(pvirqfd, virqfd);
		if (ret)
			eventfd_ctx_put(virqfd->eventfd);
	}
	if (ret) {
		kfree(virqfd);
		return ret;
	}

	init_waitqueue_func_entry(&virqfd->wait, vfio_virqfd_wakeup);
	init_poll_funcptr(&virqfd->pt, vfio_virqfd_queue_proc);
	events = vfs_poll(fd_file(f), &virqfd->pt);

	/* A signal sent before we were hooked up still counts. */
	if (events & EPOLLIN)
		vfio_virqfd_fire(virqfd);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_virqfd_enable);

/*
 * Queue work for the virqfd in *@pvirqfd, if any, then wait for it and
 * for anything queued before (a teardown an EPOLLHUP started). @retire:
 * the teardown, emptying the slot; else a flush of its thread. Either
 * runs on our ordered workqueue, so a flush cannot race a teardown of
 * the same virqfd, which the lock alone could not prevent.
 */
static void vfio_virqfd_sync(struct virqfd **pvirqfd, bool retire)
{
	struct virqfd *virqfd;
	unsigned long flags;

	spin_lock_irqsave(&vfio_virqfd_lock, flags);
	virqfd = *pvirqfd;
	if (virqfd && retire)
		vfio_virqfd_retire(pvirqfd);
	else if (virqfd && virqfd->thread)
		queue_work(vfio_virqfd_wq, &virqfd->flush_inject);
	spin_unlock_irqrestore(&vfio_virqfd_lock, flags);

	flush_workqueue(vfio_virqfd_wq);
}

/**
 * vfio_virqfd_disable - stop and free the virqfd in @pvirqfd
 * @pvirqfd: the driver's slot, may already be empty
 *
 * Returns after the teardown, including any running thread, finished.
 */
void vfio_virqfd_disable(struct virqfd **pvirqfd)
{
	vfio_virqfd_sync(pvirqfd, true);
}
EXPORT_SYMBOL_GPL(vfio_virqfd_disable);

/**
 * vfio_virqfd_flush_thread - wait for a scheduled thread to finish
 * @pvirqfd: the driver's slot
 */
void vfio_virqfd_flush_thread(struct virqfd **pvirqfd)
{
	vfio_virqfd_sync(pvirqfd, false);
}
EXPORT_SYMBOL_GPL(vfio_virqfd_flush_thread);

/* Called by vfio.ko's init: virqfd is part of vfio.ko, as upstream. */
int __init vfio_virqfd_init(void)
{
	/*
	 * Not WQ_MEM_RECLAIM: its work flushes the inject work, which runs
	 * on system_wq, and a reclaim workqueue must not wait on that
	 * (check_flush_dependency() warns). Nothing in reclaim waits on us.
	 */
	vfio_virqfd_wq = alloc_ordered_workqueue("vfio-irqfd-cleanup", 0);
	return vfio_virqfd_wq ? 0 : -ENOMEM;
}

void vfio_virqfd_exit(void)
{
	destroy_workqueue(vfio_virqfd_wq);
}
