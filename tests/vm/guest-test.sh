# Runs one test script in the guest with the helpers loaded.
. tests/vm/lib.sh
# Each boot starts without a vmlinux BTF cache (common/btfcache.h), whatever
# the host's root, the guest's lower layer, holds.
rm -rf /var/cache/btbpf-tools /run/btbpf-tools
. "$1"
finish
