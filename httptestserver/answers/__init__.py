"""What to answer: response specs, routes, matchers, faults and delays.

Deciding, never doing: a route chooses a response and a fault plan for a
recorded request; the serving layer carries it out.  May import
:mod:`httptestserver.protocol` and the bottom modules.
"""
