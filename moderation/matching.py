"""Finding listed words and phrases in an analysed text by dictionary lookups, never by patterns.

A phrase is a tuple of folded words; it matches consecutive words of the text joined only by
white space, hyphens or apostrophes ("fed up", "fed-up", "fed\\nup"). Lookups are keyed by a
phrase's first word, so the work is linear in the text whatever the size of the list.
"""

from collections.abc import Iterable

from .text import Analysis, fold, split_words


def phrase_words(entry: str) -> tuple[str, ...]:
    """A listed word or phrase as the text's words would spell it ("Fed-up" -> ("fed", "up"))."""
    return tuple(word for word, _, _ in split_words(fold(entry)[0]))


class PhraseIndex:
    def __init__(self, entries: Iterable[tuple[str, ...]]):
        self.by_first: dict[str, list[tuple[str, ...]]] = {}
        for words in set(entries):
            if words:
                self.by_first.setdefault(words[0], []).append(words)
        for phrases in self.by_first.values():
            phrases.sort(key=len, reverse=True)  # the longest phrase at a position wins

    def __bool__(self) -> bool:
        return bool(self.by_first)

    def __contains__(self, word: str) -> bool:
        return any(len(phrase) == 1 for phrase in self.by_first.get(word, ()))

    def find(self, analysis: Analysis) -> list[tuple[int, int]]:
        """(first word, past the last word) of each match, left to right, not overlapping."""
        words = analysis.words
        found = []
        position = 0
        while position < len(words):
            end = self.match_at(analysis, position)
            if end:
                found.append((position, end))
                position = end
            else:
                position += 1
        return found

    def match_at(self, analysis: Analysis, position: int) -> int:
        """Past the last word of the longest phrase starting at `position`, or 0."""
        words = analysis.words
        for phrase in self.by_first.get(words[position].text, ()):
            end = position + len(phrase)
            if end <= len(words) and all(
                analysis.glued(position + offset - 1) and words[position + offset].text == phrase[offset]
                for offset in range(1, len(phrase))
            ):
                return end
        return 0
