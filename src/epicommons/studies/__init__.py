"""Studies: whole analyses built from the library's parts — the demo (an outbreak, its risk,
three paired scenarios and an allocation) and the vaccine cooperation study."""
