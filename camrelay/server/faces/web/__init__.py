"""The web page's face: its JSON routes under /api/ (and, later, the page itself)."""
