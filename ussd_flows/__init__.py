"""USSD engine (sessions, input extraction, navigation, gateway formats) and the menus."""
