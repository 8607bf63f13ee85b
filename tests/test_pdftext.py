"""PDF pages' lines to text blocks (assistant/pdftext.py): facts about printed documents."""

from __future__ import annotations

from assistant.pdftext import pages_to_text

WIDE = "Regionerne har i flere år arbejdet sammen om en fælles løsning for journalen,"


def test_running_header_footer_and_page_numbers_are_removed():
    pages = [
        ["Vejledning til OS2Forms · Aarhus Kommune", WIDE, "og den er nu i drift.", "Side 1 af 3"],
        ["Vejledning til OS2Forms · Aarhus Kommune", "Formularen gemmes som kladde.", "2"],
        [
            "Vejledning til OS2Forms · Aarhus Kommune",
            "Indsendelser slettes efter 30 dage.",
            "- 3 -",
        ],
    ]
    text = pages_to_text(["\n".join(p) for p in pages])
    assert "Aarhus Kommune" not in text
    assert "Side 1" not in text and "- 3 -" not in text and "\n2\n" not in f"\n{text}\n"
    assert "Indsendelser slettes efter 30 dage." in text


def test_a_line_that_repeats_only_inside_the_text_is_kept():
    pages = [["Formål", WIDE, "og den er i drift.", "Formål"], ["Indhold", "Alt er slut nu."]]
    # "Formål" stands at the edges of one page only: it is not a running header.
    text = pages_to_text(["\n".join(p) for p in pages])
    assert text.startswith("# Formål\n\nRegionerne har")
    assert text.count("Formål") == 2


def test_hyphenated_line_break_is_joined_but_a_compound_hyphen_stays():
    text = pages_to_text(
        [
            "Data fra sund-\nhedsjournalen deles mellem regionerne, og alle it-\n"
            "systemer er omfattet. EPJ-\nløsningen er fælles."
        ]
    )
    assert "sundhedsjournalen" in text
    assert "it-systemer" in text  # "it" is an abbreviation: its hyphen is the word's own
    assert "EPJ-løsningen" in text


def test_the_documents_own_spelling_decides_a_hyphen():
    text = pages_to_text(["Brug selvbetjenings-\nløsningen. Selvbetjeningsløsningen er ny."])
    assert "Brug selvbetjeningsløsningen." in text
    text = pages_to_text(["Vælg borger-\nvendt. Formularen er borger-vendt."])
    assert "Vælg borger-vendt." in text


def test_short_lines_between_sentences_become_headings_and_numbered_ones_too():
    text = pages_to_text(
        [
            f"Indledning\n{WIDE}\nog den er i drift.\n2 Økonomi\n2.1 Budget\n"
            "Budgettet er på 40 mio. kr."
        ]
    )
    blocks = text.split("\n\n")
    assert blocks[0] == "# Indledning"
    assert "# 2 Økonomi" in blocks and "# 2.1 Budget" in blocks
    assert blocks[-1] == "Budgettet er på 40 mio. kr."


def test_a_short_line_that_its_sentence_goes_on_from_is_not_a_heading():
    # A narrow column (beside a figure) or a page break: the next line starts in lower case.
    text = pages_to_text([f"{WIDE}\nsom bruges\naf alle fem regioner i landet."])
    assert "#" not in text
    assert "som bruges af alle" in text


def test_table_rows_stay_rows_and_are_not_headings():
    text = pages_to_text(
        [
            f"{WIDE}\nog den er i drift.\n"
            "Trin 1: Gå til Formularer og vælg Indstillinger\nTrin 2: Klik Gem\n"
            "Trin 3: Gentag for alle formularer"
        ]
    )
    assert "#" not in text
    assert text.split("\n\n")[1:] == [
        "Trin 1: Gå til Formularer og vælg Indstillinger",
        "Trin 2: Klik Gem",
        "Trin 3: Gentag for alle formularer",
    ]


def test_a_sentence_runs_over_the_page_break():
    pages = [
        f"Rapport\n{WIDE}\nder gælder for\nSide 1",
        "Rapport\nalle fem regioner.\nSide 2",
    ]
    text = pages_to_text(pages)
    assert "der gælder for alle fem regioner." in text
    assert "Rapport" not in text


def test_bullets_become_list_items_and_wrapped_items_stay_whole():
    text = pages_to_text(
        [
            "Projektet omfatter følgende:\n• telemedicin i hjemmet for borgere med\n"
            "kronisk sygdom\n\uf0b7 fælles booking\n– digital post"
        ]
    )
    assert "- telemedicin i hjemmet for borgere med kronisk sygdom" in text
    assert "- fælles booking" in text and "- digital post" in text
    assert text.startswith("Projektet omfatter følgende:\n\n- ")


def test_empty_pages_give_no_text():
    assert pages_to_text(["", "  \n "]) == ""


def test_ligatures_are_spelled_out():
    assert pages_to_text(["Den ofﬁcielle ﬂowchart er afﬁrmeret."]) == (
        "Den officielle flowchart er affirmeret."
    )
