#!/bin/sh
# The shipped configs' outputs are byte-identical to tests/golden/.
exec sh "$(dirname "$0")/../golden.sh" check
