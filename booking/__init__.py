"""Lokaler: digital rental of a municipality's premises under one harmonised rule set."""
