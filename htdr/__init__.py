"""The ``htdr`` command line: the edge where the drills and the compliance package are wired together."""
