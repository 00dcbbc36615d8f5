#!/bin/sh
# Run a shell command inside the test guest (Debian's kernel under qemu TCG,
# the host's root shared read-only over 9p), in the current directory.
# The command's stdout and stderr come back as ours, and so does its exit
# status.  Usage: tests/vm/run.sh 'command args...'
#
# BTBPF_VM_TIMEOUT (seconds, default 600) bounds one guest run.  The kernel
# log is 8 MiB, so that a long run (mgmt-tester) does not wrap it.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 'shell command'" >&2; exit 64; }
GUEST=$("$HERE/setup.sh")

JOB=$(mktemp -d "${TMPDIR:-/tmp}/btbpf-job.XXXXXX")
trap 'rm -rf "$JOB"' EXIT INT TERM
# The guest starts with an empty environment: pass the test knobs on
# (FAULT_*, e.g. FAULT_PARTS=2 for one part of t-faults.sh; BTBPF_BLUEZ_*).
env | grep -E '^(FAULT|BTBPF_BLUEZ)_[A-Z_]*=' | sed "s/'/'\\\\''/g; s/^\([^=]*\)=\(.*\)\$/export \1='\2'/" > "$JOB/cmd" || true
printf '%s\n' "$*" >> "$JOB/cmd"
{
	printf 'GUEST_MODULES=%s\n' "'$GUEST/root/lib/modules'"
	printf 'GUEST_CWD=%s\n' "'$(pwd)'"
} > "$JOB/env"

# The guest's stderr goes through a fifo to our own fd 2: qemu reopening
# /dev/stderr by name would get its own file offset and overwrite stdout
# when both go to one file (cmd > f 2>&1).
mkfifo "$JOB/stderr"
cat "$JOB/stderr" >&2 &
CAT=$!
rc=0
timeout --foreground -k 5 "${BTBPF_VM_TIMEOUT:-600}" \
qemu-system-x86_64 -accel tcg -cpu max -smp ${BTBPF_VM_SMP:-2} -m 1536 \
	-nodefaults -display none -no-reboot \
	-kernel "$GUEST/vmlinux" -initrd "$GUEST/initramfs.gz" \
	-append "console=ttyS0 ${BTBPF_VM_APPEND:-quiet loglevel=3} log_buf_len=8M panic=-1 oops=panic rdinit=/init" \
	-serial "file:$JOB/console" \
	-chardev stdio,id=out,signal=off -serial chardev:out \
	-chardev "file,id=err,path=$JOB/stderr" -serial chardev:err \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$JOB,mount_tag=job,security_model=none" \
	-device virtio-rng-pci < /dev/null || rc=$?

# If qemu never opened the fifo, cat still waits for a writer: an O_RDWR
# open (never blocks on Linux) and close gives it its end of file.
exec 3<>"$JOB/stderr"; exec 3>&-
wait $CAT
# BTBPF_VM_CONSOLE=file keeps the guest kernel's console log (debugging).
[ -z "${BTBPF_VM_CONSOLE:-}" ] || cp "$JOB/console" "$BTBPF_VM_CONSOLE"
if [ -s "$JOB/rc" ]; then
	exit "$(cat "$JOB/rc")"
fi
echo "vm: the guest did not report an exit status (qemu exit $rc); console tail:" >&2
tail -n 30 "$JOB/console" >&2
exit 125
