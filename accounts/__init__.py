"""Accounts: who may call, and as what.

``authentication`` turns a token into a ``Principal``, signs people in and out and
creates keys and people with their secrets hashed; ``users`` and ``keys`` are the
admin's reads and commands over them; ``bindings`` resolves the store, enterprise,
truck or compound a key or person is bound to.
"""
