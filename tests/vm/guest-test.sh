# Runs one test script in the guest with the helpers loaded.
. tests/vm/lib.sh
. "$1"
finish
