"""Enforcement: takedown notices and administrative cases against infringing sites."""
