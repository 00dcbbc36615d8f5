#!/bin/sh
# Prepare the guest used by the integration tests: Debian's own kernel
# (the one linux-image-amd64 points at), its modules, a decompressed vmlinux
# for qemu's fast PVH entry, and a busybox initramfs.  Everything is cached
# outside the repository (~/.cache/btbpf-tools), so a second run costs nothing.
#
# Usage: tests/vm/setup.sh        prints the guest directory on stdout
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${BTBPF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/btbpf-tools}
mkdir -p "$CACHE"

# Which kernel: BTBPF_KPKG, a kernel package or a meta-package (default
# linux-image-amd64); a meta-package stands for the kernel package it
# depends on (e.g. linux-image-6.1.0-56-amd64).
KPKG=${BTBPF_KPKG:-linux-image-amd64}
if ! apt-cache show "$KPKG" > /dev/null 2>&1; then
	echo "setup: no package $KPKG (a Debian kernel package; run apt-get update)" >&2
	exit 1
fi
KPKG=$(apt-cache depends "$KPKG" 2>/dev/null |
	awk -v p="$KPKG" '/Depends: linux-image-[0-9]/ { d = $2; exit } END { print d ? d : p }')
KVER=${KPKG#linux-image-}
GUEST="$CACHE/$KVER"

if [ ! -f "$GUEST/.ready" ]; then
	rm -rf "$GUEST"
	mkdir -p "$GUEST/dl"
	echo "setup: fetching $KPKG" >&2
	(cd "$GUEST/dl" && apt-get download "$KPKG" >&2)
	dpkg-deb -x "$GUEST"/dl/*.deb "$GUEST/root"
	rm -rf "$GUEST/dl"
	depmod -b "$GUEST/root" "$KVER"

	# Decompressed vmlinux: qemu boots an ELF with a PVH note directly,
	# which skips the in-guest decompression (~2 s per boot under TCG).
	bz="$GUEST/root/boot/vmlinuz-$KVER"
	# 6.1 compresses it with xz, 6.12 with zstd; both complain about the
	# bytes after the stream, which do not matter.
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$bz" | head -1 | cut -d: -f1)
	if [ -n "$off" ]; then
		tail -c +$((off + 1)) "$bz" | xz -dcq 2>/dev/null > "$GUEST/vmlinux" || true
	fi
	off=$(LC_ALL=C grep -obUaP '\x28\xb5\x2f\xfd' "$bz" | head -1 | cut -d: -f1)
	if [ -n "$off" ] && [ ! -s "$GUEST/vmlinux" ] && command -v zstd > /dev/null; then
		tail -c +$((off + 1)) "$bz" | zstd -dcq 2>/dev/null > "$GUEST/vmlinux" || true
	fi
	if [ "$(head -c 4 "$GUEST/vmlinux" 2>/dev/null | od -An -c | tr -d ' ')" != '177ELF' ]; then
		echo "setup: could not decompress vmlinux, booting vmlinuz (slower)" >&2
		cp "$bz" "$GUEST/vmlinux"
	fi
	echo "$KVER" > "$GUEST/kver"
	touch "$GUEST/.ready"
fi

# The initramfs is cheap: rebuild it whenever guest-init changed.  It holds a
# static busybox, the modules needed to reach the host's root over 9p and to
# stack an overlay on it, and our init.
if [ ! -f "$GUEST/initramfs.gz" ] || [ "$HERE/guest-init" -nt "$GUEST/initramfs.gz" ]; then
	ird="$GUEST/initramfs"
	rm -rf "$ird"
	mkdir -p "$ird/bin" "$ird/mods" "$ird/dev" "$ird/proc" "$ird/sys" "$ird/mnt"
	cp /bin/busybox "$ird/bin/busybox"
	for m in virtio_pci 9pnet_virtio 9p overlay; do
		modprobe -S "$KVER" -d "$GUEST/root" --show-depends "$m" |
			awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' > "$GUEST/modlist"
	while read -r ko; do
		cp "$ko" "$ird/mods/"
		basename "$ko" >> "$ird/mods/order"
	done < "$GUEST/modlist"
	cp "$HERE/guest-init" "$ird/init"
	chmod 755 "$ird/init"
	(cd "$ird" && find . | sort | cpio -o -H newc --quiet) | gzip -1 > "$GUEST/initramfs.gz"
fi
echo "$GUEST"
