"""X's weighted length, where DESIGN.md's contract names it (`posts.tweet_text.weighted_length`,
`is_valid_length`). The counting itself is X's rule and lives with X: networks/x/tweet_text.py,
so the rules engine (below posts) can count as X does."""

from networks.x.tweet_text import TWITTER_TEXT_V3, is_valid_length, measure, weighted_length

__all__ = ["TWITTER_TEXT_V3", "is_valid_length", "measure", "weighted_length"]
