"""The forms that meet a glossary term (forms.py): plurals from lemminflect, counted by the one occurrences function."""

from __future__ import annotations

import pytest

from leshan_pub.forms import form_for, is_plural, plural, term_forms
from leshan_pub.glossary import parse_glossary
from leshan_pub.quality.enforce import forbidden_in, missing_terms, occurrences
from leshan_pub.terms import Term

BATTERY = Term("全钒液流电池", "vanadium flow battery")
BUDDHA = Term("乐山大佛", "Leshan Giant Buddha", invariable=True)


@pytest.mark.parametrize(
    ("english", "made"),
    [
        ("vanadium flow battery", "vanadium flow batteries"),
        ("radiation facility", "radiation facilities"),
        ("medical isotope", "medical isotopes"),
        ("Bank of China", "Banks of China"),  # the head noun before 'of'
        ("silicon wafers", None),  # already plural
        ("PERC", None),  # an acronym
        ("Leshan", None),  # a capitalised word lemminflect does not know is a name
        ("Mount Emei", None),
        ("Zigong lantern", "Zigong lanterns"),
    ],
)
def test_a_term_has_its_regular_plural(english, made):
    assert plural(english) == made


@pytest.mark.parametrize(
    ("english", "count"),
    [
        ("Vanadium flow batteries are cheap.", 1),  # plural, capitalised at the sentence start
        ("The vanadium flow battery's cost fell.", 1),  # possessive
        ("A vanadium flow battery and two vanadium flow batteries.", 2),
        ("vanadium flow batteryies", 0),  # not a form: no letter may touch the term
    ],
)
def test_a_term_is_met_by_its_forms_as_whole_words(english, count):
    assert occurrences(english, BATTERY) == count


def test_an_invariable_entry_is_met_only_as_written():
    assert term_forms(BUDDHA) == ("Leshan Giant Buddha",)
    assert missing_terms("Two Leshan Giant Buddhas stand here.", [BUDDHA]) == [BUDDHA]
    assert occurrences("The Leshan Giant Buddha's head.", BUDDHA) == 1
    assert form_for(BUDDHA, plural_wanted=True) == "Leshan Giant Buddha"


def test_the_plural_of_the_term_is_not_taken_for_a_forbidden_rendering_inside_it():
    term = Term("电池", "flow battery", forbidden=("battery",))
    assert forbidden_in("Flow batteries store power.", [term]) == []


def test_the_form_written_follows_the_number_asked_for():
    assert form_for(BATTERY, plural_wanted=True) == "vanadium flow batteries"
    assert form_for(BATTERY, plural_wanted=False) == "vanadium flow battery"
    assert is_plural("vanadium accumulators") and not is_plural("vanadium accumulator")


def test_the_invariable_column_is_read_from_a_glossary_file_and_refused_when_unclear():
    terms = parse_glossary("source\ttarget\tinvariable\n乐山大佛\tLeshan Giant Buddha\tyes\n电池\tbattery\t\n")
    assert [t.invariable for t in terms] == [True, False]
    with pytest.raises(Exception, match="invariable 'maybe' of '电池' is neither yes nor no"):
        parse_glossary("source\ttarget\tinvariable\n电池\tbattery\tmaybe\n")


@pytest.mark.parametrize("suffix", [".tsv", ".csv", ".tbx"])
def test_the_invariable_mark_survives_a_round_trip_through_each_glossary_format(tmp_path, suffix):
    from leshan_pub.formats.termbase import read_terms, write_terms

    path = tmp_path / f"g{suffix}"
    write_terms([BUDDHA, BATTERY], path)
    assert [(t.target, t.invariable) for t in read_terms(path)] == [
        ("Leshan Giant Buddha", True), ("vanadium flow battery", False)
    ]
