"""Applications on a relayed stream: a motion alarm and a people counter, on common plumbing."""
