"""Customers and PINs, the ledger, purchases and their fulfilment.

Every public function takes a SQLAlchemy session and never commits: the caller owns the
transaction. USSD menus, SMS commands, the API and the admin page all call these functions, so
every channel behaves the same.
"""
