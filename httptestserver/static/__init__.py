"""Files served from a directory: mounts, file bodies, and the conditional
and range rules of RFC 9110.  May import :mod:`httptestserver.answers` and
below.
"""
