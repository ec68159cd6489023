# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
# shellcheck disable=SC2034 # TP_* variables are for the tests
#
# dpdk-testpmd sessions for the DPDK tests (tools/testing/vm/tests/
# dpdk_*_test.sh), INSIDE the test VM. Source it after guest-lib.sh.
#
# testpmd (Debian's dpdk-dev, DPDK 22.11) runs interactively in the
# background; the test writes its command lines into a fifo and waits for
# their output in the log, so every step has a timeout and nothing depends
# on guessed delays (TCG is slow and its speed varies).
#
#   tp_available             0 if dpdk-testpmd can run; else $TP_WHY says why
#   tp_huge_setup PAGES      mount a private hugetlbfs, reserve 2 MiB pages
#   tp_huge_teardown         unmount it, give the pages back
#   tp_huge_free             free pages of the 2 MiB pool
#   tp_start NAME BDF EAL-ARG... -- APP-ARG...
#                            start testpmd on BDF; returns once it prompts
#   tp_cmd LINE              send one command line
#   tp_wait PATTERN N SEC    wait until N log lines match PATTERN (ERE)
#   tp_quit SEC              "quit", wait for the exit; TP_RC = status
#   tp_kill                  kill our testpmd (error paths)
#   tp_stat HEADER N KEY     value after "KEY:" in the Nth block HEADER
#   tp_count PATTERN         log lines matching PATTERN
#   tp_excerpt               the log's last lines, as TAP comments
#   tp_eal_errors KNOWN-ERE  EAL error lines of the log not matching KNOWN
#   tp_io_bar BDF            sysfs file of the device's first I/O BAR
#   tp_io_read32 FILE OFF    32-bit read of an I/O BAR (sysfs)
#   tp_io_write32 FILE OFF VALUE
#
# Checks shared by the tests (0 = pass; TP_MSG says what was found).
# IOMMU is "type1" (the default) or "noiommu" (vfio's unsafe noiommu mode:
# EAL's IOMMU type 8, nothing pinned, so no locked_vm charge):
#   tp_check_probe MODE DRIVER [IOMMU]
#                                EAL chose IOVA MODE and IOMMU, the PMD
#                                probed the device, testpmd reports link up
#   tp_check_exit FREE0 KNOWN [IOMMU]
#                                testpmd quit with status 0, no process holds
#                                a VFIO file, the free hugepages are back to
#                                FREE0, VFIO charged locked_vm while it ran
#                                (none for noiommu), no EAL error lines
#                                except KNOWN (ERE)
#   tap RESULT DESCRIPTION       one TAP line (RESULT 0 = ok), numbered
#
# Test steps shared by the tests:
#   tp_setup_nic BDF [BIND]      hugepages, BDF bound to vfio-pci by BIND
#                                (default vfio_bind; prints the group), an
#                                EXIT trap undoing both, the "setup:" TAP
#                                line; bails out on failure. TP_NATIVE: the
#                                driver BDF had; TP_GROUP: what BIND printed.
#                                TP_ON_EXIT: a function the trap calls last
#   tp_finish_case ...           traffic verdict, quit, tp_check_exit
#   tp_e1000e_case LABEL BDF MODE [IOMMU]
#                                a testpmd session on the e1000e BDF with
#                                traffic through its MAC loopback (3 TAP
#                                lines; see dpdk_e1000e_test.sh)
#   tp_release BDF NATIVE        unbind, back with its native driver
#
# Variables after tp_start: TP_PID (testpmd), TP_LOG (its output),
# TP_VMLCK (VmLck of testpmd once it prompted, kB: with --no-mlockall this
# is what the VFIO type1 backend charged to locked_vm for its pins).
#
# VFIO_DPDK_STRACE=1 runs testpmd under `strace -f` (ioctls, opens, mmaps)
# into $VFIO_TEST_OUT/NAME.strace, to find the ioctl a stack gets wrong.
# VFIO_DPDK_LOG=LEVEL sets DPDK's log level (e.g. debug; default: DPDK's).

TP_DIR=/run/vfio-test-dpdk.$$
TP_HUGE=$TP_DIR/huge
TP_POOL=/sys/kernel/mm/hugepages/hugepages-2048kB
TP_OUT=${VFIO_TEST_OUT:-/tmp}
TP_PID=
TP_LOG=
TP_RC=
TP_VMLCK=
TP_WHY=

tp_available() {
	if ! command -v dpdk-testpmd > /dev/null; then
		TP_WHY="dpdk-testpmd not installed (make deps: dpdk-dev)"
		return 1
	fi
	if [ ! -d $TP_POOL ]; then
		TP_WHY="no 2 MiB hugepage pool in this kernel"
		return 1
	fi
	return 0
}

tp_huge_setup() {
	mkdir -p $TP_HUGE || return 1
	TP_HUGE_OLD=$(cat $TP_POOL/nr_hugepages)
	mount -t hugetlbfs -o pagesize=2M nodev $TP_HUGE || return 1
	echo "$1" > $TP_POOL/nr_hugepages
	# The pool can come out smaller when memory is fragmented; DPDK
	# needs ~10 pages here.
	[ "$(cat $TP_POOL/nr_hugepages)" -ge 32 ]
}

tp_huge_teardown() {
	if mountpoint -q $TP_HUGE; then
		rm -f $TP_HUGE/*
		umount $TP_HUGE
	fi
	[ -n "${TP_HUGE_OLD:-}" ] && echo "$TP_HUGE_OLD" > $TP_POOL/nr_hugepages
	rm -rf $TP_DIR
}

tp_huge_free() { cat $TP_POOL/free_hugepages; }

# Exit status 0 while our testpmd has not exited.
tp_alive() { [ -n "$TP_PID" ] && _gl_alive "$TP_PID"; }

tp_count() { grep -c -i -E -e "$1" "$TP_LOG" 2>/dev/null; }

tp_wait() { # PATTERN N SEC
	_n=$(( $3 * 5 ))
	while [ "$(tp_count "$1")" -lt "$2" ]; do
		tp_alive || return 1
		[ $_n -gt 0 ] || return 1
		sleep 0.2
		_n=$((_n - 1))
	done
	return 0
}

# tp_start NAME BDF EAL-ARG... -- APP-ARG...
# One forwarding lcore besides the main one: the guest has a single CPU,
# so both lcores are mapped onto it (the main lcore only reads commands).
# --in-memory: no files under /var/run/dpdk and the hugepages are unlinked
# at once, so they go back to the pool when testpmd exits, unless a pin
# is left behind. --no-mlockall keeps VmLck = VFIO's locked_vm charge.
tp_start() {
	_name=$1 _bdf=$2
	shift 2
	_eal=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_eal="$_eal $1"
		shift
	done
	[ $# -gt 0 ] && shift
	mkdir -p $TP_DIR
	TP_LOG=$TP_DIR/$_name.log
	TP_NAME=$_name
	: > "$TP_LOG"
	rm -f $TP_DIR/cmd
	mkfifo $TP_DIR/cmd || return 1
	_pre=
	[ "${VFIO_DPDK_STRACE:-0}" = 1 ] &&
		_pre="strace -f -tt -e trace=ioctl,openat,mmap,munmap,close -o $TP_OUT/$_name.strace"
	# stdbuf: testpmd prints with stdio; a file gets it block-buffered,
	# too late for waiting on it.
	# shellcheck disable=SC2086 # word splitting wanted
	$_pre stdbuf -oL -eL dpdk-testpmd --lcores=0@0,1@0 -n 1 -a "$_bdf" \
		--in-memory --huge-dir=$TP_HUGE --no-telemetry \
		${VFIO_DPDK_LOG:+--log-level=$VFIO_DPDK_LOG} $_eal -- \
		-i --port-topology=loop --nb-cores=1 --total-num-mbufs=2048 \
		--rxd=256 --txd=256 --no-mlockall "$@" \
		< $TP_DIR/cmd > "$TP_LOG" 2>&1 &
	TP_PID=$!
	# Opening the fifo for writing waits for testpmd's shell to open it
	# for reading; it is held open until tp_quit (EOF makes testpmd quit).
	exec 7> $TP_DIR/cmd
	TP_VMLCK=
	tp_wait '^testpmd> ' 1 120 || return 1
	_p=$(tp_testpmd_pid)
	TP_VMLCK=$(awk '$1 == "VmLck:" { print $2 }' "/proc/${_p:-0}/status" 2>/dev/null)
	return 0
}

# The testpmd process: TP_PID, or under strace the child strace started.
tp_testpmd_pid() {
	if [ "$(cat "/proc/$TP_PID/comm" 2>/dev/null)" = dpdk-testpmd ]; then
		echo "$TP_PID"
		return 0
	fi
	for _s in /proc/[0-9]*/stat; do
		# pid (comm) state ppid ...; comm has no blanks here
		read -r _pid _comm _st _ppid _rest < "$_s" 2>/dev/null || continue
		if [ "$_ppid" = "$TP_PID" ] && [ "$_comm" = "(dpdk-testpmd)" ]; then
			echo "$_pid"
			return 0
		fi
	done
	return 1
}

# A subshell writes: if testpmd is gone, SIGPIPE ends it, not the test.
tp_cmd() {
	tp_alive || return 1
	(echo "$*" >&7) 2>/dev/null
}

# tp_quit SEC: quit, wait SEC seconds for the exit, then kill.
tp_quit() {
	tp_cmd quit
	exec 7>&-
	_n=$(( $1 * 5 ))
	while tp_alive && [ $_n -gt 0 ]; do
		sleep 0.2
		_n=$((_n - 1))
	done
	if tp_alive; then
		echo "# testpmd did not exit within $1 s after quit: killing it"
		tp_kill
		TP_RC=killed
	else
		wait "$TP_PID"
		TP_RC=$?
	fi
	TP_PID=
	cp "$TP_LOG" "$TP_OUT/" 2>/dev/null
	return 0
}

tp_kill() {
	exec 7>&-
	[ -n "$TP_PID" ] || return 0
	# The strace or stdbuf wrapper execs testpmd: the PID is testpmd's
	# (or strace's, which takes its tracee along).
	kill -TERM "$TP_PID" 2>/dev/null
	_n=50
	while tp_alive && [ $_n -gt 0 ]; do
		sleep 0.2
		_n=$((_n - 1))
	done
	tp_alive && kill -KILL "$TP_PID" 2>/dev/null
	wait "$TP_PID" 2>/dev/null
	TP_PID=
	[ -n "$TP_LOG" ] && cp "$TP_LOG" "$TP_OUT/" 2>/dev/null
	return 0
}

# tp_stat HEADER N KEY: in the Nth block that starts with a line matching
# HEADER, the word after "KEY:" (first occurrence), e.g.
#   tp_stat 'Accumulated forward statistics' 1 RX-packets
tp_stat() {
	awk -v hdr="$1" -v nth="$2" -v key="$3:" '
		$0 ~ hdr { seen++; next }
		seen == nth {
			for (i = 1; i < NF; i++)
				if ($i == key) { print $(i + 1); exit }
		}' "$TP_LOG"
}

tp_excerpt() {
	echo "# --- testpmd log ($TP_OUT/${TP_NAME:-?}.log), last lines:"
	grep -v -E '^[[:space:]]*$' "$TP_LOG" | tail -n 25 | sed 's/^/#   /'
}

# EAL error lines (DPDK's own complaints about what the kernel returned)
# not matching KNOWN (lines the in-tree stack produces as well).
tp_eal_errors() {
	grep -E '^EAL: .*([Ee]rror|[Ff]ail|[Cc]annot|[Ii]nvalid|[Uu]nable)' \
		"$TP_LOG" | grep -v -E -e "${1:-^$}"
}

# I/O BAR access through sysfs (resourceN of an I/O BAR is read/writable
# in 1, 2 or 4 byte units; it does not conflict with vfio-pci owning the
# device, as the memory BAR mmap would).
tp_io_bar() {
	_i=0
	while read -r _start _end _flags; do
		if [ $((_flags & 0x100)) != 0 ] && [ "$_start" != 0x0000000000000000 ]; then
			echo "/sys/bus/pci/devices/$1/resource$_i"
			return 0
		fi
		_i=$((_i + 1))
		[ $_i -lt 6 ] || break
	done < "/sys/bus/pci/devices/$1/resource"
	return 1
}

_tp_le32() {
	# shellcheck disable=SC2059 # the format is built on purpose
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) \
		$(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"
}

tp_io_write32() { # FILE OFF VALUE
	_tp_le32 "$3" | dd of="$1" bs=4 seek=$(($2 / 4)) count=1 \
		conv=notrunc 2>/dev/null
}

tp_io_read32() { # FILE OFF
	_v=$(dd if="$1" bs=4 skip=$(($2 / 4)) count=1 2>/dev/null |
	     od -An -tu4 | tr -d ' ')
	[ -n "$_v" ] && echo "$_v"
}

# ---------------------------------------------------------------------------
# Checks shared by the tests.

TP_TAP_N=0
tap() {
	TP_TAP_N=$((TP_TAP_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $TP_TAP_N - $2"
	else
		echo "not ok $TP_TAP_N - $2"
	fi
}

# tp_link_up: "show port info 0" until it reports the link up (10 tries).
tp_link_up() {
	_try=0
	while [ $_try -lt 10 ]; do
		_try=$((_try + 1))
		tp_cmd "show port info 0" || return 1
		tp_wait 'Link status:' $_try 20 || return 1
		grep -E 'Link status:' "$TP_LOG" | tail -n 1 | grep -q 'up$' &&
			return 0
		sleep 1
	done
	return 1
}

# What EAL logs when it sets up VFIO with IOMMU (type1|noiommu), and the
# name for it: sets _tp_iommu_re and _tp_iommu.
_tp_iommu_of() {
	if [ "${1:-type1}" = noiommu ]; then
		_tp_iommu_re='^EAL: Using IOMMU type 8 \(No-IOMMU\)'
		_tp_iommu="VFIO No-IOMMU"
	else
		_tp_iommu_re='^EAL: Using IOMMU type 1 '
		_tp_iommu="VFIO type1"
	fi
}

tp_check_probe() { # MODE DRIVER (PMD name in EAL's probe line) [IOMMU]
	_m=$(echo "$1" | tr '[:lower:]' '[:upper:]')
	_tp_iommu_of "$3"
	TP_MSG="testpmd did not reach its prompt"
	tp_alive || return 1
	grep -q "^testpmd> " "$TP_LOG" || return 1
	TP_MSG="EAL did not select IOVA mode $_m"
	grep -q "^EAL: Selected IOVA mode '$_m'" "$TP_LOG" || return 1
	TP_MSG="EAL did not set up $_tp_iommu"
	grep -q -E "$_tp_iommu_re" "$TP_LOG" || return 1
	TP_MSG="$2 did not probe the device"
	grep -q "^EAL: Probe PCI driver: $2 " "$TP_LOG" || return 1
	TP_MSG="the port's link is not up"
	tp_link_up || return 1
	TP_MSG="IOVA mode $_m, $_tp_iommu, $2, link up"
	return 0
}

# tp_check_exit FREE0 KNOWN [IOMMU]: after tp_quit.
tp_check_exit() {
	_free0=$1 _known=$2 _iommu=${3:-type1}
	TP_MSG="testpmd exit status $TP_RC"
	[ "$TP_RC" = 0 ] && grep -q '^Bye\.\.\.' "$TP_LOG" || return 1
	_u=$(vfio_users)
	TP_MSG="processes still hold VFIO files: $_u"
	[ -z "$_u" ] || return 1
	# The unpinning is done by the time close() returns upstream; allow
	# a few seconds anyway before calling a page leaked.
	_n=25
	while [ "$(tp_huge_free)" != "$_free0" ] && [ $_n -gt 0 ]; do
		sleep 0.2
		_n=$((_n - 1))
	done
	TP_MSG="hugepages not freed: $(tp_huge_free) free, $_free0 before (pinned pages left behind?)"
	[ "$(tp_huge_free)" = "$_free0" ] || return 1
	if [ "$_iommu" = noiommu ]; then
		# noiommu maps and pins nothing.
		TP_MSG="VmLck was '${TP_VMLCK}' kB while testpmd ran: locked_vm charged without mappings"
		[ "${TP_VMLCK:-0}" = 0 ] || return 1
		_lck="no locked_vm"
	else
		TP_MSG="VmLck was '${TP_VMLCK}' kB while testpmd ran: VFIO charged no locked_vm for its DMA mappings"
		[ "${TP_VMLCK:-0}" -gt 0 ] || return 1
		_lck="locked_vm was ${TP_VMLCK} kB"
	fi
	_e=$(tp_eal_errors "$_known")
	TP_MSG="unexpected EAL errors: $(echo "$_e" | head -n 3 | tr '\n' '|')"
	[ -z "$_e" ] || return 1
	TP_MSG="exit 0, no VFIO file held, hugepages freed ($_free0 free), $_lck"
	return 0
}

# The end of one testpmd case: the traffic verdict (WHY empty = passed,
# with OK_TEXT), quit testpmd, check what it left behind (FREE0: hugepages
# free before, KNOWN: EAL errors to allow), time taken since T0; IOMMU
# as for tp_check_exit.
tp_finish_case() { # MODE WHY OK_TEXT FREE0 KNOWN T0 [IOMMU]
	if [ -z "$2" ]; then
		tap 0 "$1: traffic: $3"
	else
		tap 1 "$1: traffic: $2"
		[ "$2" = "testpmd is not up" ] || tp_excerpt
	fi
	tp_quit 60
	tp_check_exit "$4" "$5" "$7"
	_tp_r=$?
	tap $_tp_r "$1: after testpmd: $TP_MSG"
	[ $_tp_r = 0 ] || tp_excerpt
	echo "# $1: $(( $(date +%s) - $6 ))s"
}

# Take the NIC for the test. The trap also runs on a bail-out, so the
# device and the hugepages go back whatever happens.
tp_setup_nic() { # BDF [BIND]
	TP_BDF=$1
	TP_NATIVE=$(vfio_driver_of "$1")
	trap _tp_cleanup EXIT
	trap 'exit 1' INT TERM
	_tp_r=1
	if tp_huge_setup 128; then
		TP_GROUP=$("${2:-vfio_bind}" "$1") && _tp_r=0
	fi
	tap $_tp_r "setup: $(cat $TP_POOL/nr_hugepages) hugepages of 2 MiB, $1 (group ${TP_GROUP:-?}) bound to vfio-pci"
	[ $_tp_r = 0 ] || { echo "Bail out! no setup"; exit 1; }
}

_tp_cleanup() {
	tp_kill
	[ "$(vfio_driver_of "$TP_BDF")" = vfio-pci ] && vfio_unbind "$TP_BDF"
	tp_huge_teardown
	[ -z "${TP_ON_EXIT:-}" ] || "$TP_ON_EXIT"
}

# ---------------------------------------------------------------------------
# The e1000e (82574, PMD net_e1000_em) with traffic through its MAC
# loopback: QEMU's restricted user network answers nothing testpmd can
# send, so once testpmd owns the device RCTL.LBM is turned on through the
# I/O BAR (which DPDK leaves alone) and every frame sent comes back into
# the RX ring.

TP_E1000E_RCTL=0x100		# receive control register
TP_E1000E_RCTL_LBM_MAC=0x40	# LBM = 01: MAC loopback
TP_E1000E_FWD_SECS=3		# io forwarding time

# RCTL |= LBM_MAC through IOADDR (offset 0) / IODATA (4).
tp_e1000e_loopback_on() { # BDF
	_io=$(tp_io_bar "$1") || return 1
	tp_io_write32 "$_io" 0 $TP_E1000E_RCTL || return 1
	_v=$(tp_io_read32 "$_io" 4) || return 1
	tp_io_write32 "$_io" 4 $((_v | TP_E1000E_RCTL_LBM_MAC)) || return 1
	_v=$(tp_io_read32 "$_io" 4) || return 1
	[ $((_v & TP_E1000E_RCTL_LBM_MAC)) != 0 ]
}

# One testpmd session ("e1000e-LABEL") on BDF with --iova-mode=MODE:
#   - rxonly + "start tx_first", verbose: the 32 frames of the first
#     burst come back and parse as testpmd's IPv4/UDP frames from the
#     port's MAC (the device read the TX buffers and wrote the RX
#     buffers at the addresses DPDK gave it through VFIO);
#   - io forwarding + "start tx_first" for TP_E1000E_FWD_SECS: frames
#     circle TX -> RX -> TX; both counts grow past the first burst, no
#     errors.
# TAP lines "LABEL: testpmd up", "LABEL: traffic", "LABEL: after testpmd".
tp_e1000e_case() { # LABEL BDF MODE [IOMMU]
	_c_t0=$(date +%s)
	_c_free0=$(tp_huge_free)
	tp_start "e1000e-$1" "$2" --iova-mode="$3" -- --forward-mode=rxonly
	tp_check_probe "$3" net_e1000_em "$4"
	_c_r=$?
	tap $_c_r "$1: testpmd up on $2: $TP_MSG"
	[ $_c_r = 0 ] || tp_excerpt

	_c_why=
	_c_mac=$(sed -n 's/^Port 0: \([0-9A-Fa-f:]\{17\}\)$/\1/p' "$TP_LOG" | head -n 1)
	_c_frame="src=$_c_mac - dst=02:00:00:00:00:00 - .*type=0x0800 - length=64 - .*sw ptype: L2_ETHER L3_IPV4 L4_UDP"
	if [ $_c_r != 0 ]; then
		_c_why="testpmd is not up"
	elif ! tp_e1000e_loopback_on "$2"; then
		_c_why="cannot turn the MAC loopback on through the I/O BAR"
	else
		tp_cmd "set verbose 1"
		tp_cmd "start tx_first"
		tp_wait "$_c_frame" 32 30
		tp_cmd "stop"
		tp_wait 'Accumulated forward statistics' 1 30
		tp_cmd "set verbose 0"
		tp_cmd "set fwd io"
		tp_cmd "start tx_first"
		sleep $TP_E1000E_FWD_SECS
		tp_cmd "stop"
		tp_wait 'Accumulated forward statistics' 2 30
		tp_cmd "show port stats 0"
		tp_wait 'NIC statistics for port 0' 1 30
	fi
	_c_intact=$(tp_count "$_c_frame")
	_c_rx=$(tp_stat 'Accumulated forward statistics' 2 RX-packets)
	_c_tx=$(tp_stat 'Accumulated forward statistics' 2 TX-packets)
	_c_rxerr=$(tp_stat 'NIC statistics for port 0' 1 RX-errors)
	_c_txerr=$(tp_stat 'NIC statistics for port 0' 1 TX-errors)
	if [ -z "$_c_why" ]; then
		if [ "$_c_intact" -lt 32 ]; then
			_c_why="$_c_intact of 32 looped-back frames received intact"
		elif [ "${_c_rx:-0}" -le 32 ] || [ "${_c_tx:-0}" -le 32 ]; then
			_c_why="io forwarding counted RX '$_c_rx' TX '$_c_tx' packets"
		elif [ "$_c_rxerr" != 0 ] || [ "$_c_txerr" != 0 ]; then
			_c_why="RX-errors '$_c_rxerr', TX-errors '$_c_txerr'"
		fi
	fi
	tp_finish_case "$1" "$_c_why" \
		"32/32 looped-back frames intact; io forwarding ${TP_E1000E_FWD_SECS}s: RX $_c_rx, TX $_c_tx packets, 0 errors" \
		"$_c_free0" '^$' "$_c_t0" "$4"
}

# Give the NIC back and check it returned to its native driver.
tp_release() { # BDF NATIVE_DRIVER
	vfio_unbind "$1"
	_tp_d=$(vfio_driver_of "$1")
	[ "$_tp_d" = "$2" ]
	tap $? "$1 released by vfio-pci, back with ${_tp_d:-no driver} (was $2)"
}

