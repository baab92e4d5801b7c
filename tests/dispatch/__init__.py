"""Tests of the dispatch package: the routing core (pure) and the functions over the
database (on both databases), called directly."""
