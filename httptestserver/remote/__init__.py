"""Out of process: the child process and its client, the control API,
stub mappings as data and WireMock's format.  May import every sub-package
but :mod:`httptestserver.serving`.
"""
