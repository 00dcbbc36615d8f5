#!/bin/sh
# Installs what building and testing need, from Debian's packages only:
# the toolchain (clang, llvm-strip, bpftool, libbpf), and for the guest test
# bed qemu, busybox, the kernel-package tools and BlueZ's emulator/testers.
set -e
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
	make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev pkg-config bpftool \
	qemu-system-x86 busybox-static cpio kmod xz-utils zstd procps man-db \
	bluez bluez-test-tools python3-minimal ca-certificates curl \
	prometheus prometheus-node-exporter \
	bpftrace > /dev/null
# Packaging test (tests/pkg/build-deb.sh), the completion test and the check
# of the example systemd unit (tests/unit/test_service.sh).
$SUDO apt-get install -y -qq --no-install-recommends \
	dpkg-dev debhelper lintian fakeroot bash-completion groff-base git \
	systemd libcap2-bin > /dev/null
