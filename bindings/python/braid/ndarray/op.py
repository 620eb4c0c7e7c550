"""One function per registered operator, generated at import from the core's registry (see ``_gen``).

Names starting with an underscore (``_plus_scalar`` ...) are MXNet's internal ops; they are also reachable
through ``braid.nd._internal``.
"""
