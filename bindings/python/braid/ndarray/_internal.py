"""MXNet's internal operators (names starting with an underscore), generated from the registry."""
