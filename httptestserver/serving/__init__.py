"""Sockets and threads: the listener, one HTTP exchange on a connection,
the 0.1.0 handler hooks, and faults performed on the socket.  May import
every sub-package but :mod:`httptestserver.remote`.
"""
