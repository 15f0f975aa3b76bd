"""What a server knows: the thread-safe store, compact records and the
history view, verification and async waits.

One lock guards it; readers get snapshots; waits wait on a Condition with a
deadline.  Never touches a socket.  May import :mod:`httptestserver.answers`
and below.
"""
