"""From here on the draft is a list of sentences, each checked on its own."""

from __future__ import annotations

from bot.model_output import split_sentences
from bot.review.draft import Draft, ReviewContext, Sentence


class SplitSentences:
    name = "split"
    sentence_level = False

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        if draft.sentences is None:
            draft.sentences = [Sentence(text) for text in split_sentences(draft.text)]
        return draft
