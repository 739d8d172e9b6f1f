"""Saved views: named filters, sort and columns of the register or the control tracker."""
