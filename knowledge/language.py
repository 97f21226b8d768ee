"""Which language a question is written in: Vietnamese, English, or another one.

The one place the project decides a question's language (retrieval's fusion weights, the reply's
language and the extractive answer's framing all follow it). Vietnamese letters with marks
settle Vietnamese; Vietnamese typed without marks still reads as Vietnamese syllables; English
shows in its function words and in words no Vietnamese syllable spells. Other scripts (Chinese,
Russian) and Latin-script languages with their own marks (French "é", German "ß") are "other".
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from knowledge.text import LETTERS, fold, strip_marks

QuestionLang = Literal["vi", "en", "other"]

ENGLISH_FUNCTION_WORDS = frozenset(
    """
    a an the of in on at to for by with from and or is are was were be been being do does
    did what which who whom whose when where why how many much this that these those it its
    their they he she his her has have had will would can could should about into over after
    before than then there here not no yes please tell me give list name describe explain
    all any your you my our we i if as so but only also just now every some other
    """.split()
)

_FRENCH_FUNCTION_WORDS = frozenset(
    """
    le la les un une des du de et est sont quel quelle quels quelles qui que quoi ou comment
    pourquoi combien dans pour avec sur par ce cette ces il elle ils elles a ont etait
    """.split()
)

# Letters with marks that Vietnamese spells (NFC, lower case); any other marked Latin letter
# ("é" with "è", "ç", "ß", "ñ") belongs to another language.
_VIETNAMESE_MARKED = frozenset(
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
)
# Marked letters only Vietnamese spells (a breve, a horn, a hook, a dot below, two marks on one
# vowel): one of these settles Vietnamese even beside a French-looking "é" ("Hà Nội", "Việt").
_ONLY_VIETNAMESE = frozenset("ăắằẳẵặấầẩẫậđếềểễệốồổỗộơớờởỡợưứừửữựảẻẽẹỉĩịỏọủũụỳỷỹỵạ")

# One Vietnamese syllable written without marks: onset, vowel nucleus, coda.
_VIETNAMESE_SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?"
    r"(uye|uya|ieu|yeu|uoi|oai|oay|oeo|uay|uou|[aeiouy]{1,2})(ng|nh|ch|[cmnptiuoy])?$"
)


def is_vietnamese_syllable(word: str) -> bool:
    """Whether a word spells one Vietnamese syllable ("Tóm", "nghiêng"; not "Newcastle")."""
    return bool(_VIETNAMESE_SYLLABLE.match(fold(word)))


def spelt_only_in_vietnamese(word: str) -> bool:
    """Whether a word has a letter only Vietnamese spells ("dược", "thứ"; not "café")."""
    return not _ONLY_VIETNAMESE.isdisjoint(unicodedata.normalize("NFC", word).lower())


def question_language(text: str) -> QuestionLang:
    """ "vi", "en" or "other" for a question (Vietnamese without tone marks is "vi").

    Names are left out of the count where other words remain, so that an English question
    about "Bùi Thanh Sơn" is English and a Vietnamese one about "ESCAP" Vietnamese.
    """
    text = unicodedata.normalize("NFC", text)
    letters = [ch for ch in text.lower() if ch.isalpha()]
    if not letters:
        return "vi"
    if sum(1 for ch in letters if not _is_latin(ch)) / len(letters) >= 0.3:
        return "other"
    tokens = LETTERS.findall(text)
    # A capitalised word after the first is a name or an acronym; the first opens the sentence.
    plain = [t for i, t in enumerate(tokens) if i == 0 or not t[0].isupper()]
    words = [t.lower() for t in plain if not _is_acronym(t)] or [
        t.lower() for t in tokens if not _is_acronym(t)
    ]
    if not words:
        return "vi"  # acronyms alone ("ESCAP"): the corpus's language
    marked = {ch for word in words for ch in word if not ch.isascii()}
    if marked - _VIETNAMESE_MARKED:
        return "other"
    if marked & _ONLY_VIETNAMESE:
        return "vi"
    folded = [fold(word) for word in words]
    foreign = sum(1 for w in folded if not is_vietnamese_syllable(w)) / len(folded)
    if marked:
        # Only marks both languages share ("é", "à"): Vietnamese if its words read as such.
        return "other" if foreign >= 0.5 else "vi"
    function = sum(1 for w in folded if w in ENGLISH_FUNCTION_WORDS) / len(folded)
    if function >= 0.3:
        return "en"
    # French typed without accents ("Quelle est la capitale du Vietnam?") reads as foreign words
    # to both tests above; its own function words tell it from English.
    french = sum(1 for w in folded if w in _FRENCH_FUNCTION_WORDS) / len(folded)
    if french >= 0.3 and foreign >= 0.3:
        return "other"
    return "en" if foreign >= 0.3 else "vi"


def lacks_marks(text: str) -> bool:
    """Whether a text was typed with no tone or vowel mark at all (whatever its language)."""
    lowered = unicodedata.normalize("NFC", text).lower()
    return strip_marks(lowered) == lowered


def is_english(text: str) -> bool:
    """Whether a question is written in English (Vietnamese without tone marks is not)."""
    return question_language(text) == "en"


def _is_acronym(token: str) -> bool:
    return token.isupper() and len(token) > 1


def _is_latin(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN")
