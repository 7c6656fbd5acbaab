"""Run every benchmark with its defaults: `make bench`."""

import sys

from bench import fulfilment, ledger_holds, ussd_hops

# Each benchmark reads its own options; `make bench` runs them all with their defaults.
sys.argv = sys.argv[:1]
ledger_holds.main()
ussd_hops.main()
fulfilment.main()
