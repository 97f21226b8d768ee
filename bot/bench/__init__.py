"""`diplobot bench`: speed and memory figures on a deterministic synthetic corpus."""

from bot.bench.corpus import SyntheticCorpus, seed_sentences, write_articles

__all__ = ["SyntheticCorpus", "seed_sentences", "write_articles"]
