"""Segmentation: the words jieba gives Traditional text, and the keywords cases get from them."""
from __future__ import annotations

import pytest

from kb.models import Case
from kb.search import case_search
from kb.segment import segment, tokenizer
from seeds.demo import load_cases

MISCUT = {"創團隊", "廠商協", "進會", "市首長", "跨縣"}


@pytest.mark.parametrize("text, words", [
    ("臺南市推動長期照顧", {"臺南市", "長期照顧"}),
    ("新創團隊與廠商協進會", {"團隊", "協進會"}),
    ("各縣市首長跨縣市合作", {"首長", "縣市"}),
])
def test_traditional_text_is_cut_into_dictionary_words(db, text, words):
    cut = set(segment(text))
    assert words <= cut
    assert not cut & MISCUT


def test_keywords_over_the_demo_corpus_are_dictionary_words(db):
    load_cases(80, seed=7)
    case_search().rebuild(workers=1)
    dictionary = tokenizer().FREQ
    keywords = {word for case in Case.select() for word in case_search().keywords(case.id)}
    assert len(keywords) > 100
    assert not keywords & MISCUT
    assert [word for word in keywords if not dictionary.get(word)] == []


def test_no_word_of_the_demo_corpus_is_guessed_across_dictionary_words(db):
    """With jieba's HMM on, runs of single characters become made-up words (並公布, 不佳並)."""
    from kb.cases import search_documents
    from kb.search_exact import document_text

    load_cases(40, seed=7)
    dictionary = tokenizer().FREQ
    guessed = {word for doc in search_documents() for word in segment(document_text(doc))
               if len(word) > 1 and not word.isascii() and not dictionary.get(word)}
    assert guessed == set()
