"""Django apps of SloughGPT, one per product area."""
