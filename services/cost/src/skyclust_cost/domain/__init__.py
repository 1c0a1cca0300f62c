"""The cost service's pure rules: no I/O here."""
