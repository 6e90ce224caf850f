"""Spaced repetition: decks of cards scheduled with FSRS, reviews, Anki import and export."""
