"""Knowledge graphs from text: entities and the relations between them (extract.py), and
how mentions of one real entity are merged into one node (merge.py). Pure Python + spaCy;
the Django side (apps.knowledge) stores and searches what this returns."""
