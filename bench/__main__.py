"""Run every benchmark with its defaults: `make bench`."""

from bench import ledger_holds

ledger_holds.main()
