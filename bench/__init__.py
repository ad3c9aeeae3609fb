"""`make bench`: performance figures for camrelay, printed, never asserted."""
