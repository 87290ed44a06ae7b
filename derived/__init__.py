"""Data computed from the store: the roll-up of indicators and the materialised entailments (`agrs.derived`)."""
