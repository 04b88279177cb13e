"""The matching engine: plain numpy over arrays, no database.

``pool`` turns people into arrays of codes and bitsets, ``criteria`` is the registry
of vectorised criterion functions, ``scoring`` scores every pair in row chunks and
keeps each participant's best candidates, ``assignment`` solves the program-wide
assignment (min-cost flow, and an exact dense reference), ``explain`` says why a
participant was left without a proposal. ``matching.selectors`` feeds it from the
database and ``matching.services`` stores what it finds.
"""
