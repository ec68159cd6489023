// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci interrupt plumbing beyond what vfio_device_test and
 * vfio_edu_dma_test cover:
 *
 * - virqfd, on an edu device's INTx: an unmask eventfd registered with
 *   SET_IRQS(ACTION_UNMASK | DATA_EVENTFD) unmasks the auto-masked line
 *   from the eventfd's wakeup, with no ioctl; masking, its replacement
 *   and removal, its teardown by closing the eventfd, by disabling INTx
 *   and by closing the device while another thread keeps signalling it;
 *   bad input gets upstream 6.12's errnos.
 * - MSI-X on a device that has it (the test VM's NVMe): vectors added
 *   one SET_IRQS at a time to live MSI-X when the irq domain allocates
 *   vectors dynamically (VFIO_IRQ_INFO_NORESIZE clear), or refused as
 *   upstream refuses them when it does not.
 *
 * edu raises INTx while a bit written to its raise register is not
 * acknowledged. A level interrupt left asserted when vfio lets go of
 * the line would storm, so the tests lower the line before any check
 * that can end them. The device's real command and status registers are
 * read through sysfs: DisINTx there is the mask vfio applies.
 *
 *   vfio_irq_test [-d BDF]...   default: the edu devices and $VFIO_NVME0;
 *                               INTx tests use the first edu, MSI-X tests
 *                               the first other device with MSI-X
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfio_test_lib.h"

#define INTX		VFIO_PCI_INTX_IRQ_INDEX
#define MSI		VFIO_PCI_MSI_IRQ_INDEX
#define MSIX		VFIO_PCI_MSIX_IRQ_INDEX
#define TRIG		VFIO_IRQ_SET_ACTION_TRIGGER
#define MASK		VFIO_IRQ_SET_ACTION_MASK
#define UNMASK		VFIO_IRQ_SET_ACTION_UNMASK
#define D_NONE		VFIO_IRQ_SET_DATA_NONE
#define D_BOOL		VFIO_IRQ_SET_DATA_BOOL
#define D_EFD		VFIO_IRQ_SET_DATA_EVENTFD

#define PCI_COMMAND_INTX_DISABLE	0x400
#define PCI_STATUS_INTERRUPT		0x08
#define PCI_CAP_ID_MSIX			0x11

#define EDU_RAISE_BIT	0x4		/* any bit of edu's irq status */
#define RELEASE_ROUNDS	300		/* device closes vs. unmask signals */
/* The debug kernel (KASAN, lockdep) runs them about 10x slower. */
#define RELEASE_ROUNDS_DEBUG	30
#define NVEC		6		/* MSI-X vectors used: 0, 1, 2, 5 */

static const struct vt_dev *edu, *msix_dev;

/* ------------------------------------------------------------ helpers */

static uint16_t phys_cfg16(unsigned int off)
{
	uint16_t v;

	if (vt_phys_cfg(edu->bdf, off, &v, sizeof(v)))
		vt_fatal("%s: cannot read config space via sysfs", edu->bdf);
	return v;
}

/* vfio masks edu's INTx with DisINTx (PCI 2.3 masking). */
static bool phys_masked(void)
{
	return phys_cfg16(0x04) & PCI_COMMAND_INTX_DISABLE;
}

static bool phys_asserting(void)
{
	return phys_cfg16(0x06) & PCI_STATUS_INTERRUPT;
}

static void signal_efd(int efd)
{
	const uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) != sizeof(one))
		vt_fatal("eventfd write: %s", vt_errname(errno));
}

/*
 * Whether a virqfd watches @efd: its wakeup consumes every signal at
 * once, an unwatched eventfd keeps the count. Signalling an unmask
 * eventfd unmasks INTx: call with the line low.
 */
static bool watched(int efd)
{
	uint64_t v;

	signal_efd(efd);
	return read(efd, &v, sizeof(v)) != sizeof(v);
}

/* ---------------------------------------------------------- edu INTx */

struct intx {
	struct vt_session s;
	struct vt_edu e;
	int trig;			/* INTx trigger eventfd */
};

static void need_edu(void)
{
	if (!edu)
		vt_skip("needs an edu device (1234:11e8)");
}

/* Open the edu, INTx still off. */
static void edu_open(struct intx *x)
{
	need_edu();
	vt_session_open(&x->s, edu, VFIO_TYPE1v2_IOMMU, true);
	x->e.dev = x->s.device;
	vt_edu_enable(&x->e);
	x->trig = vt_eventfd();
}

/* Open the edu with INTx on, signalling x->trig. */
static void intx_open(struct intx *x)
{
	edu_open(x);
	VT_OK_FATAL(vt_set_irqs_fd(x->e.dev, INTX, TRIG, x->trig));
}

static int set_unmask_fd(struct intx *x, int fd)
{
	return vt_set_irqs_fd(x->e.dev, INTX, UNMASK, fd);
}

/* intx_open() plus a new eventfd registered to unmask; returns it. */
static int intx_open_unmask(struct intx *x)
{
	int u;

	intx_open(x);
	u = vt_eventfd();
	VT_OK_FATAL(set_unmask_fd(x, u));
	return u;
}

static int intx_action(struct intx *x, uint32_t action)
{
	return vt_set_irqs_none(x->e.dev, INTX, action, 0, 1);
}

static int intx_bool(struct intx *x, uint32_t action, uint8_t val)
{
	return vt_set_irqs(x->e.dev, D_BOOL | action, INTX, 0, 1, &val, 1);
}

static void raise_line(struct intx *x)
{
	vt_edu_wr(&x->e, EDU_REG_IRQ_RAISE, EDU_RAISE_BIT);
}

static void lower_line(struct intx *x)
{
	vt_edu_wr(&x->e, EDU_REG_IRQ_ACK, EDU_RAISE_BIT);
}

/* The trigger fired (within 3 s). */
static bool delivered(struct intx *x)
{
	return vt_wait_eventfd(x->trig, 3000) >= 1;
}

/* The trigger stayed silent for 300 ms. */
static bool quiet(struct intx *x)
{
	return vt_wait_eventfd(x->trig, 300) == 0;
}

/*
 * An interrupt; one raised while auto-masked is held back; signalling
 * @u unmasks and the next one is delivered. Leaves INTx unmasked.
 */
static void check_unmask_cycle(struct intx *x, int u, const char *what)
{
	bool first, held, second;

	raise_line(x);
	first = delivered(x);
	lower_line(x);
	raise_line(x);
	held = quiet(x);
	lower_line(x);
	signal_efd(u);
	raise_line(x);
	second = delivered(x);
	lower_line(x);
	signal_efd(u);
	VT_EXPECT(first, "%s: no INTx", what);
	VT_EXPECT(held, "%s: INTx delivered while auto-masked", what);
	VT_EXPECT(second, "%s: no INTx after signalling the unmask eventfd",
		  what);
}

static void t_intx_automask(void)
{
	bool fired, again, masked, asserting;
	struct vfio_irq_info ii;
	struct intx x;

	intx_open(&x);
	VT_OK(vt_irq_info(x.e.dev, INTX, &ii));
	VT_EXPECT_EQ(ii.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
			       VFIO_IRQ_INFO_AUTOMASKED);
	VT_EXPECT_EQ(ii.count, 1);
	VT_EXPECT(!phys_masked(), "DisINTx set before any interrupt");

	raise_line(&x);
	fired = delivered(&x);
	again = !quiet(&x);
	masked = phys_masked();
	asserting = phys_asserting();
	lower_line(&x);
	VT_EXPECT(fired, "no INTx");
	VT_EXPECT(asserting, "edu did not assert INTx");
	VT_EXPECT(!again, "a still-asserted INTx fired again: not masked");
	VT_EXPECT(masked, "DisINTx not set by the interrupt");
	/* lowering the line does not unmask: the user does */
	VT_EXPECT(phys_masked(), "DisINTx dropped without an unmask");
	VT_OK(intx_action(&x, UNMASK));
	VT_EXPECT(!phys_masked(), "UNMASK left DisINTx set");
	VT_EXPECT(quiet(&x), "unmask of a quiet line signalled");

	raise_line(&x);
	fired = delivered(&x);
	lower_line(&x);
	VT_EXPECT(fired, "no INTx after UNMASK");
	VT_OK(intx_action(&x, UNMASK));
}

static void t_unmask_eventfd(void)
{
	bool first, held, second, unmasked;
	struct intx x;
	int u, i;

	u = intx_open_unmask(&x);

	raise_line(&x);
	first = delivered(&x);
	lower_line(&x);
	raise_line(&x);
	held = quiet(&x);
	lower_line(&x);
	VT_EXPECT(first, "no INTx");
	VT_EXPECT(held, "INTx delivered while auto-masked");
	VT_EXPECT(phys_masked(), "DisINTx not set by the interrupt");

	/* the virqfd handler unmasks from the eventfd's wakeup */
	signal_efd(u);
	unmasked = false;
	for (i = 0; i < 100 && !unmasked; i++) {
		unmasked = !phys_masked();
		if (!unmasked)
			usleep(10000);
	}
	VT_EXPECT(unmasked, "signalling the unmask eventfd left DisINTx set");
	VT_EXPECT(quiet(&x), "nothing was pending, yet the trigger fired");
	raise_line(&x);
	second = delivered(&x);
	lower_line(&x);
	VT_EXPECT(second, "no INTx after signalling the unmask eventfd");
	signal_efd(u);

	/* each signal unmasks once, again and again */
	for (i = 0; i < 3; i++)
		check_unmask_cycle(&x, u, "repeat");
	/* left registered: closing the device tears it down */
}

/* Unmasking a line that is still asserted re-signals from the thread. */
static void t_unmask_eventfd_pending(void)
{
	bool first, resent, still_masked;
	struct intx x;
	int u;

	u = intx_open_unmask(&x);

	raise_line(&x);
	first = delivered(&x);
	signal_efd(u);
	resent = delivered(&x);
	still_masked = phys_masked();
	lower_line(&x);
	VT_EXPECT(first, "no INTx");
	VT_EXPECT(resent, "pending INTx not signalled at unmask");
	VT_EXPECT(still_masked, "unmask of an asserted line dropped DisINTx");

	/* now nothing is pending: the next signal unmasks for real */
	signal_efd(u);
	VT_EXPECT(!phys_masked(), "unmask eventfd left DisINTx set");
	VT_EXPECT(quiet(&x), "nothing was pending, yet the trigger fired");
	check_unmask_cycle(&x, u, "after the pending one");
}

static void t_mask_action(void)
{
	bool masked, held, fired, noop;
	struct intx x;
	int u;

	intx_open(&x);

	/* DATA_NONE: a raised line is held back, and delivered at unmask */
	VT_OK(intx_action(&x, MASK));
	masked = phys_masked();
	raise_line(&x);
	held = quiet(&x);
	VT_OK(intx_action(&x, UNMASK));
	fired = delivered(&x);
	lower_line(&x);
	VT_EXPECT(masked, "MASK did not set DisINTx");
	VT_EXPECT(held, "INTx delivered while masked");
	VT_EXPECT(fired, "pending INTx not signalled at UNMASK");
	VT_OK(intx_action(&x, UNMASK));
	VT_EXPECT(!phys_masked(), "UNMASK left DisINTx set");

	/* DATA_BOOL: false does nothing, true masks */
	VT_OK(intx_bool(&x, MASK, 0));
	raise_line(&x);
	fired = delivered(&x);
	lower_line(&x);
	VT_EXPECT(fired, "MASK with BOOL false masked");
	VT_OK(intx_action(&x, UNMASK));
	VT_OK(intx_bool(&x, MASK, 1));
	raise_line(&x);
	held = quiet(&x);
	VT_OK(intx_bool(&x, UNMASK, 0));
	noop = quiet(&x);
	VT_OK(intx_bool(&x, UNMASK, 1));
	fired = delivered(&x);
	lower_line(&x);
	VT_EXPECT(held, "INTx delivered while masked (BOOL)");
	VT_EXPECT(noop, "UNMASK with BOOL false unmasked");
	VT_EXPECT(fired, "pending INTx not signalled at UNMASK (BOOL)");
	VT_OK(intx_action(&x, UNMASK));

	/* a user mask holds with an unmask eventfd too, which lifts it */
	u = vt_eventfd();
	VT_OK_FATAL(set_unmask_fd(&x, u));
	VT_OK(intx_action(&x, MASK));
	raise_line(&x);
	held = quiet(&x);
	signal_efd(u);
	fired = delivered(&x);
	lower_line(&x);
	VT_EXPECT(held, "INTx delivered while masked (unmask eventfd)");
	VT_EXPECT(fired, "pending INTx not signalled by the unmask eventfd");
	signal_efd(u);
	VT_EXPECT(!phys_masked(), "unmask eventfd left DisINTx set");

	/* masks do not nest: one unmask undoes two */
	VT_OK(intx_action(&x, MASK));
	VT_OK(intx_action(&x, MASK));
	VT_OK(intx_action(&x, UNMASK));
	VT_EXPECT(!phys_masked(), "two MASKs needed two UNMASKs");

	/* a mask eventfd was never implemented upstream */
	VT_EXPECT_EQ(vt_set_irqs_fd(x.e.dev, INTX, MASK, u), -ENOTTY);
	check_unmask_cycle(&x, u, "after the masking checks");
}

/* Upstream keeps one unmask eventfd: replacing it is remove, then add. */
static void t_unmask_eventfd_replace(void)
{
	struct intx x;
	int u1, u2;

	intx_open(&x);
	u1 = vt_eventfd();
	u2 = vt_eventfd();
	VT_OK_FATAL(set_unmask_fd(&x, u1));

	/* the slot is taken: EBUSY, and the first one stays */
	VT_EXPECT_EQ(set_unmask_fd(&x, u2), -EBUSY);
	VT_EXPECT_EQ(set_unmask_fd(&x, u1), -EBUSY);
	VT_EXPECT(watched(u1), "the registered unmask eventfd was dropped");
	VT_EXPECT(!watched(u2), "a refused unmask eventfd is watched");
	check_unmask_cycle(&x, u1, "first eventfd");

	/* fd -1 removes */
	VT_OK(set_unmask_fd(&x, -1));
	VT_EXPECT(!watched(u1), "removed unmask eventfd still watched");
	VT_OK(set_unmask_fd(&x, u2));
	VT_EXPECT(watched(u2), "second unmask eventfd not watched");
	VT_EXPECT(!watched(u1), "removed unmask eventfd watched again");
	check_unmask_cycle(&x, u2, "second eventfd");

	/* so does any negative fd; removing nothing is fine */
	VT_OK(set_unmask_fd(&x, -2));
	VT_EXPECT(!watched(u2), "unmask eventfd still watched after fd -2");
	VT_OK(set_unmask_fd(&x, -1));

	/* removed: the automask is back to ioctl unmasking only */
	raise_line(&x);
	VT_EXPECT(delivered(&x), "no INTx");
	lower_line(&x);
	signal_efd(u1);
	signal_efd(u2);
	VT_EXPECT(phys_masked(), "a removed unmask eventfd unmasked");
	VT_OK(intx_action(&x, UNMASK));

	/* the slot is free again */
	VT_OK(set_unmask_fd(&x, u1));
	check_unmask_cycle(&x, u1, "first eventfd, again");
}

/* Closing the eventfd tears the virqfd down (EPOLLHUP). */
static void t_unmask_eventfd_closed(void)
{
	bool fired;
	struct intx x;
	int u;

	u = intx_open_unmask(&x);
	raise_line(&x);
	fired = delivered(&x);
	lower_line(&x);
	VT_EXPECT(fired, "no INTx");
	/* closed while INTx is masked */
	vt_close(u);

	/* the device works on, unmasked by ioctl */
	VT_OK(intx_action(&x, UNMASK));
	VT_EXPECT(!phys_masked(), "UNMASK left DisINTx set");
	raise_line(&x);
	fired = delivered(&x);
	lower_line(&x);
	VT_EXPECT(fired, "no INTx after the unmask eventfd was closed");
	VT_OK(intx_action(&x, UNMASK));

	/* the slot is free: a new eventfd registers and works */
	u = vt_eventfd();
	VT_OK_FATAL(set_unmask_fd(&x, u));
	check_unmask_cycle(&x, u, "new eventfd");

	/* closed while registered and unmasked; INTx off and on again */
	vt_close(u);
	VT_OK(vt_set_irqs_none(x.e.dev, INTX, TRIG, 0, 0));
	VT_OK_FATAL(vt_set_irqs_fd(x.e.dev, INTX, TRIG, x.trig));
	u = vt_eventfd();
	VT_OK_FATAL(set_unmask_fd(&x, u));
	check_unmask_cycle(&x, u, "after INTx off and on");
}

/*
 * Swapping the INTx trigger waits for the unmask eventfd's thread, which
 * may be re-sending a pending INTx to the old trigger right then: keep
 * the line asserted and unmask repeatedly between swaps.
 */
static void t_trigger_swap_with_unmask_eventfd(void)
{
	bool first, now, other;
	uint64_t sent;
	int u, t2, cur, i, ret = 0;
	struct intx x;

	u = intx_open_unmask(&x);
	t2 = vt_eventfd();

	raise_line(&x);
	first = delivered(&x);
	cur = x.trig;
	for (i = 0; i < 200; i++) {
		signal_efd(u);
		cur = i % 2 ? x.trig : t2;
		ret = vt_set_irqs_fd(x.e.dev, INTX, TRIG, cur);
		if (ret)
			break;
	}
	lower_line(&x);
	VT_EXPECT(first, "no INTx");
	VT_EXPECT(!ret, "trigger swap %d failed: %s", i, vt_errname(-ret));
	sent = vt_wait_eventfd(x.trig, 1000) + vt_wait_eventfd(t2, 1000);
	VT_EXPECT(sent >= 1, "no pending INTx re-sent to either trigger");

	/* line low: the next unmask is real; INTx goes to the last trigger */
	signal_efd(u);
	VT_EXPECT(!phys_masked(), "unmask eventfd left DisINTx set");
	raise_line(&x);
	now = vt_wait_eventfd(cur, 3000) >= 1;
	other = vt_wait_eventfd(cur == t2 ? x.trig : t2, 300) >= 1;
	lower_line(&x);
	signal_efd(u);
	VT_EXPECT(now, "no INTx on the current trigger");
	VT_EXPECT(!other, "INTx on a replaced trigger");
}

/* Disabling INTx, or closing the device, releases the unmask eventfd. */
static void t_intx_disable_releases_unmask(void)
{
	struct intx x;
	int u;

	u = intx_open_unmask(&x);
	VT_EXPECT(watched(u), "unmask eventfd not watched");

	VT_OK(vt_set_irqs_none(x.e.dev, INTX, TRIG, 0, 0));
	VT_EXPECT(!watched(u), "INTx off, unmask eventfd still watched");
	/* with INTx off there is nothing to unmask */
	VT_EXPECT_EQ(set_unmask_fd(&x, u), -EINVAL);
	VT_EXPECT(!watched(u), "refused unmask eventfd is watched");

	/* INTx on again starts without an unmask eventfd */
	VT_OK_FATAL(vt_set_irqs_fd(x.e.dev, INTX, TRIG, x.trig));
	VT_EXPECT(!watched(u), "re-enabled INTx kept the unmask eventfd");
	VT_OK_FATAL(set_unmask_fd(&x, u));
	check_unmask_cycle(&x, u, "re-enabled INTx");

	/* the device's release disables INTx the same way */
	vt_close(x.e.dev);
	VT_EXPECT(!watched(u), "device closed, unmask eventfd still watched");
}

/* One thread signalling an unmask eventfd as fast as it can. */
struct hammer {
	int fd;
	atomic_int stop;
	unsigned long writes;
};

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;
	const uint64_t one = 1;

	while (!atomic_load_explicit(&h->stop, memory_order_relaxed)) {
		if (write(h->fd, &one, sizeof(one)) == sizeof(one))
			h->writes++;
	}
	return NULL;
}

/*
 * The device fd is closed while another thread keeps signalling the
 * unmask eventfd: the release must flush the virqfd (its handler and
 * thread) without hanging or touching freed state. Half of the rounds
 * hold the line asserted first, so the signals go through the thread
 * that re-sends a pending INTx.
 */
static void t_unmask_eventfd_vs_release(void)
{
	const char *vm = getenv("VFIO_TEST_VM");
	int i, rounds = RELEASE_ROUNDS;
	unsigned long writes = 0;
	struct vt_session s;
	struct intx x;

	if (vm && !strcmp(vm, "debug"))
		rounds = RELEASE_ROUNDS_DEBUG;
	need_edu();
	vt_session_open(&s, edu, VFIO_TYPE1v2_IOMMU, false);
	for (i = 0; i < rounds; i++) {
		struct hammer h = { .fd = vt_eventfd() };
		bool assert_first = i % 2 == 0;
		struct vt_edu e;
		pthread_t th;
		int trig, ret;

		trig = vt_eventfd();
		e.dev = vt_get_device(s.group, edu->bdf);
		vt_edu_enable(&e);
		VT_OK_FATAL(vt_set_irqs_fd(e.dev, INTX, TRIG, trig));
		VT_OK_FATAL(vt_set_irqs_fd(e.dev, INTX, UNMASK, h.fd));
		if (assert_first) {
			vt_edu_wr(&e, EDU_REG_IRQ_RAISE, EDU_RAISE_BIT);
			vt_wait_eventfd(trig, 3000);
		}
		ret = pthread_create(&th, NULL, hammer_run, &h);
		if (ret) {
			vt_edu_wr(&e, EDU_REG_IRQ_ACK, EDU_RAISE_BIT);
			vt_fatal("pthread_create: %s", vt_errname(ret));
		}
		usleep((i % 4) * 300);
		if (assert_first)
			vt_edu_wr(&e, EDU_REG_IRQ_ACK, EDU_RAISE_BIT);
		/* the release races the signals */
		vt_close(e.dev);
		usleep(500);
		atomic_store(&h.stop, 1);
		pthread_join(th, NULL);
		writes += h.writes;
		vt_close(trig);
		vt_close(h.fd);
	}
	vt_diag("%d device releases against %lu unmask eventfd signals",
		rounds, writes);
	VT_EXPECT(writes > 0, "the signalling thread never ran");
	vt_close(s.group);
	vt_close(s.container);

	/* the next open works, and so does INTx with an unmask eventfd */
	intx_open(&x);
	i = vt_eventfd();
	VT_OK_FATAL(set_unmask_fd(&x, i));
	check_unmask_cycle(&x, i, "after the release rounds");
}

static void t_unmask_eventfd_bad_input(void)
{
	int32_t two[2];
	struct intx x;
	int u, null;
	const int bad = 1000;

	edu_open(&x);
	u = vt_eventfd();
	null = vt_track(open("/dev/null", O_RDWR | O_CLOEXEC));
	VT_ASSERT(fcntl(bad, F_GETFD) < 0, "fd %d is open", bad);
	two[0] = u;
	two[1] = u;

	/* INTx off: nothing to unmask */
	VT_EXPECT_EQ(set_unmask_fd(&x, u), -EINVAL);
	VT_OK_FATAL(vt_set_irqs_fd(x.e.dev, INTX, TRIG, x.trig));

	/* MSI has no masking at all; edu has no MSI-X vector */
	VT_EXPECT_EQ(vt_set_irqs_fd(x.e.dev, MSI, UNMASK, u), -ENOTTY);
	VT_EXPECT_EQ(vt_set_irqs_fd(x.e.dev, MSI, MASK, u), -ENOTTY);
	VT_EXPECT_EQ(vt_set_irqs_fd(x.e.dev, MSIX, UNMASK, u), -EINVAL);
	/* not an fd, not an eventfd */
	VT_EXPECT_EQ(set_unmask_fd(&x, bad), -EBADF);
	VT_EXPECT_EQ(set_unmask_fd(&x, null), -EINVAL);
	/* INTx is one vector */
	VT_EXPECT_EQ(vt_set_irqs(x.e.dev, D_EFD | UNMASK, INTX, 0, 2, two,
				 sizeof(two)), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(x.e.dev, D_EFD | UNMASK, INTX, 1, 1, two,
				 sizeof(two[0])), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(x.e.dev, D_EFD | UNMASK, INTX, 0, 0, NULL, 0),
		     -EINVAL);
	/* the fd must fit in argsz; one data type, one action */
	VT_EXPECT_EQ(vt_set_irqs(x.e.dev, D_EFD | UNMASK, INTX, 0, 1, NULL, 0),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(x.e.dev, D_EFD | D_BOOL | UNMASK, INTX, 0, 1,
				 two, sizeof(two[0])), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(x.e.dev, D_EFD | UNMASK | MASK, INTX, 0, 1,
				 two, sizeof(two[0])), -ENOTTY);

	/* none of that registered anything */
	VT_EXPECT(!watched(u), "a refused unmask eventfd is watched");
	VT_OK_FATAL(set_unmask_fd(&x, u));
	/* bad fds are refused before the busy slot, which stays as it was */
	VT_EXPECT_EQ(set_unmask_fd(&x, bad), -EBADF);
	VT_EXPECT_EQ(set_unmask_fd(&x, null), -EINVAL);
	VT_EXPECT(watched(u), "a failed SET_IRQS dropped the unmask eventfd");
	check_unmask_cycle(&x, u, "after the bad input");
}

/* ------------------------------------------------------------- MSI-X */

struct msix {
	struct vt_session s;
	int dev;
	uint32_t count;			/* vectors the device has */
	int efd[NVEC];
	bool set[NVEC];			/* vector points at efd[] */
	int irq[NVEC];			/* its Linux irq once seen, else 0 */
};

/* Linux irq of "vfio-msix[V](BDF)" in /proc/interrupts, -1 if none. */
static int proc_irq_of(unsigned int vector)
{
	char want[64], line[4096];
	int irq = -1;
	FILE *f;

	snprintf(want, sizeof(want), "vfio-msix[%u](%s)", vector,
		 msix_dev->bdf);
	f = fopen("/proc/interrupts", "re");
	if (!f)
		vt_fatal("/proc/interrupts: %s", vt_errname(errno));
	while (irq < 0 && fgets(line, sizeof(line), f)) {
		if (strstr(line, want))
			irq = (int)strtol(line, NULL, 10);
	}
	fclose(f);
	return irq;
}

static int set_vector(struct msix *m, unsigned int v, int fd)
{
	int32_t fd32 = fd;
	int ret;

	ret = vt_set_irqs(m->dev, D_EFD | TRIG, MSIX, v, 1, &fd32,
			  sizeof(fd32));
	if (!ret && v < NVEC)
		m->set[v] = fd >= 0;
	return ret;
}

static void msix_off(struct msix *m)
{
	unsigned int v;

	VT_OK(vt_set_irqs(m->dev, D_NONE | TRIG, MSIX, 0, 0, NULL, 0));
	/* the Linux irqs are freed: a new enable may get others */
	for (v = 0; v < NVEC; v++) {
		m->set[v] = false;
		m->irq[v] = 0;
	}
}

/*
 * Loopback-trigger every vector alone (SET_IRQS TRIGGER | DATA_NONE):
 * a set vector's eventfd fires, an unset one's stays quiet (upstream
 * skips unset vectors). A set vector has its /proc/interrupts line, on
 * the Linux irq it had before: allocations last until MSI-X is off.
 * Then one DATA_BOOL loopback over all of them.
 */
static void check_vectors(struct msix *m, const char *when)
{
	uint8_t all[NVEC];
	unsigned int v;
	uint64_t n;
	int irq;

	for (v = 0; v < NVEC; v++) {
		irq = proc_irq_of(v);
		VT_OK(vt_set_irqs(m->dev, D_NONE | TRIG, MSIX, v, 1, NULL, 0));
		n = vt_wait_eventfd(m->efd[v], m->set[v] ? 1000 : 0);
		if (!m->set[v]) {
			VT_EXPECT(!n, "%s: unset vector %u fired", when, v);
			VT_EXPECT(irq < 0, "%s: unset vector %u has irq %d",
				  when, v, irq);
			continue;
		}
		VT_EXPECT(n == 1, "%s: vector %u loopback: count %llu", when,
			  v, (unsigned long long)n);
		VT_EXPECT(irq > 0, "%s: vector %u not in /proc/interrupts",
			  when, v);
		if (!m->irq[v])
			m->irq[v] = irq;
		VT_EXPECT(irq == m->irq[v], "%s: vector %u moved from irq %d to %d",
			  when, v, m->irq[v], irq);
	}

	memset(all, 1, sizeof(all));
	VT_OK(vt_set_irqs(m->dev, D_BOOL | TRIG, MSIX, 0, NVEC, all,
			  sizeof(all)));
	for (v = 0; v < NVEC; v++) {
		n = vt_wait_eventfd(m->efd[v], m->set[v] ? 1000 : 0);
		VT_EXPECT(n == m->set[v], "%s: BOOL loopback, vector %u: %llu",
			  when, v, (unsigned long long)n);
	}
}

static void msix_open(struct msix *m)
{
	struct vfio_irq_info ii;
	unsigned int v;

	if (!msix_dev)
		vt_skip("needs a non-edu device with MSI-X ($VFIO_NVME0)");
	memset(m, 0, sizeof(*m));
	vt_session_open(&m->s, msix_dev, VFIO_TYPE1v2_IOMMU, true);
	m->dev = m->s.device;
	VT_OK_FATAL(vt_irq_info(m->dev, MSIX, &ii));
	m->count = ii.count;
	if (m->count < NVEC)
		vt_skip("%s has %u MSI-X vectors, %d needed", msix_dev->bdf,
			m->count, NVEC);
	for (v = 0; v < NVEC; v++)
		m->efd[v] = vt_eventfd();
}

/* Whether MSI-X of @m's device can grow: NORESIZE clear. */
static bool msix_dynamic(struct msix *m)
{
	struct vfio_irq_info ii;

	VT_OK_FATAL(vt_irq_info(m->dev, MSIX, &ii));
	VT_EXPECT(ii.flags & VFIO_IRQ_INFO_EVENTFD, "flags 0x%x", ii.flags);
	VT_EXPECT(!(ii.flags & (VFIO_IRQ_INFO_MASKABLE |
				VFIO_IRQ_INFO_AUTOMASKED)),
		  "flags 0x%x", ii.flags);
	return !(ii.flags & VFIO_IRQ_INFO_NORESIZE);
}

static void t_msix_noresize_flag(void)
{
	struct msix m;
	bool dynamic;

	msix_open(&m);
	dynamic = msix_dynamic(&m);
	vt_diag("%s: %u MSI-X vectors, VFIO_IRQ_INFO_NORESIZE %s: %s",
		msix_dev->bdf, m.count, dynamic ? "clear" : "set",
		dynamic ? "dynamic allocation, vectors can be added to live MSI-X" :
		"no dynamic allocation, growing needs a disable first");
}

static void add_and_check(struct msix *m, unsigned int v)
{
	char when[64];

	snprintf(when, sizeof(when), "after adding vector %u", v);
	VT_OK(set_vector(m, v, m->efd[v]));
	check_vectors(m, when);
}

static void t_msix_add_vectors(void)
{
	static const unsigned int added[] = { 1, 2, 5 };
	int32_t block[NVEC];
	struct msix m;
	unsigned int i;
	bool dynamic;

	msix_open(&m);
	dynamic = msix_dynamic(&m);
	vt_diag("case: %s", dynamic ? "dynamic MSI-X (NORESIZE clear)" :
		"static MSI-X (NORESIZE set)");

	/* MSI-X on, with vector 0 alone */
	VT_OK_FATAL(set_vector(&m, 0, m.efd[0]));
	check_vectors(&m, "vector 0 alone");

	if (!dynamic) {
		/* no vector past the block enabled: upstream says EINVAL */
		VT_EXPECT_EQ(set_vector(&m, 1, m.efd[1]), -EINVAL);
		check_vectors(&m, "after the refused add");
		/* grow by disable and enable of a bigger block */
		msix_off(&m);
		for (i = 0; i < NVEC; i++)
			block[i] = i ? -1 : m.efd[0];
		VT_OK_FATAL(vt_set_irqs(m.dev, D_EFD | TRIG, MSIX, 0, NVEC,
					block, sizeof(block)));
		m.set[0] = true;
		check_vectors(&m, "vector 0 of a block of 6");
	}
	/* one SET_IRQS per vector, MSI-X never switched off */
	for (i = 0; i < ARRAY_SIZE(added); i++)
		add_and_check(&m, added[i]);

	/* one vector off alone; back on, on the irq it had */
	VT_OK(set_vector(&m, 1, -1));
	check_vectors(&m, "after removing vector 1");
	add_and_check(&m, 1);

	/* past the table: refused by the range check, nothing changes */
	VT_EXPECT_EQ(set_vector(&m, m.count, m.efd[0]), -EINVAL);
	check_vectors(&m, "after the out-of-range vector");

	msix_off(&m);
	for (i = 0; i < NVEC; i++)
		VT_EXPECT(proc_irq_of(i) < 0, "MSI-X off, vector %u still has a line",
			  i);
	/* off: loopback has nothing to fire */
	VT_EXPECT_EQ(vt_set_irqs(m.dev, D_NONE | TRIG, MSIX, 0, 1, NULL, 0),
		     -EINVAL);
}

/* ------------------------------------------------------------ main */

static const struct vt_test tests[] = {
	{ .name = "intx_automask", .fn = t_intx_automask },
	{ .name = "unmask_eventfd", .fn = t_unmask_eventfd },
	{ .name = "unmask_eventfd_pending", .fn = t_unmask_eventfd_pending },
	{ .name = "mask_action", .fn = t_mask_action },
	{ .name = "unmask_eventfd_replace", .fn = t_unmask_eventfd_replace },
	{ .name = "unmask_eventfd_closed", .fn = t_unmask_eventfd_closed },
	{ .name = "trigger_swap_with_unmask_eventfd",
	  .fn = t_trigger_swap_with_unmask_eventfd },
	{ .name = "intx_disable_releases_unmask",
	  .fn = t_intx_disable_releases_unmask },
	{ .name = "unmask_eventfd_vs_release",
	  .fn = t_unmask_eventfd_vs_release, .timeout = 240 },
	{ .name = "unmask_eventfd_bad_input", .fn = t_unmask_eventfd_bad_input },
	{ .name = "msix_noresize_flag", .fn = t_msix_noresize_flag },
	{ .name = "msix_add_vectors", .fn = t_msix_add_vectors },
};

static void setup(void)
{
	int i;

	edu = vt_first_edu(0);
	for (i = 0; i < vt_ndevs && !msix_dev; i++) {
		if (!vt_dev_is_edu(&vt_devs[i]) &&
		    vt_pci_has_cap(vt_devs[i].bdf, PCI_CAP_ID_MSIX))
			msix_dev = &vt_devs[i];
	}
	vt_diag("INTx tests: %s; MSI-X tests: %s", edu ? edu->bdf : "none",
		msix_dev ? msix_dev->bdf : "none");
}

int main(int argc, char **argv)
{
	static const struct vt_suite suite = {
		.name = "irq", VT_TESTS(tests),
		.devs = VT_DEVS_EDU_NVME, .min_devs = 1,
		.setup = setup,
	};

	return vt_main(argc, argv, &suite);
}
