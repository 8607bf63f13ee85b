"""PDF pages' lines to text blocks (assistant/pdftext.py): facts about printed documents."""

from __future__ import annotations

from assistant.pdftext import mend_split_words, pages_to_text

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
    # without font sizes a section number gives the level
    assert "# 2 Økonomi" in blocks and "## 2.1 Budget" in blocks
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


# --- layout mode: columns, spacing and font sizes -----------------------------------
# pypdf's layout mode keeps a line's columns as spaces and vertical space as blank
# lines; ``page_styles`` gives each line's font size, weight and height on the page.


def _layout(lines: list[str]) -> str:
    return "\n".join(lines)


def test_a_table_in_layout_mode_becomes_header_value_rows_with_whole_cells():
    page = _layout(
        [
            " Trin                 Handling",
            "",
            " 1                    Log ind med MitID på",
            "                      sundhed.dk",
            "",
            " 2                    Vælg Journal og derefter",
            "                      Prøvesvar",
        ]
    )
    assert pages_to_text([page]).split("\n\n") == [
        "Trin: 1; Handling: Log ind med MitID på sundhed.dk",
        "Trin: 2; Handling: Vælg Journal og derefter Prøvesvar",
    ]
    # another kind of table: a release plan, three columns, a hyphenated cell
    page = _layout(
        [
            " Uge        Datoer            Aktivitet",
            " Uge 41     6-12 okt          Afklaring og forundersø-",
            "                              gelse",
            " Uge 42     13-19 okt         Udvikling",
        ]
    )
    assert pages_to_text([page]).split("\n\n") == [
        "Uge: Uge 41; Datoer: 6-12 okt; Aktivitet: Afklaring og forundersøgelse",
        "Uge: Uge 42; Datoer: 13-19 okt; Aktivitet: Udvikling",
    ]


def test_list_markers_set_apart_are_not_table_columns():
    page = _layout(
        [
            " Under indstillinger findes flere muligheder for formularen:",
            " •      Ændre titel",
            " •      Aktiver som skabelon",
            " •      Arkivere formularen",
        ]
    )
    text = pages_to_text([page])
    assert "- Ændre titel\n- Aktiver som skabelon\n- Arkivere formularen" in text
    assert ":" not in text.split("\n\n")[-1]


def test_numbers_without_dots_make_a_list_only_in_sequence():
    page = _layout(
        [
            " Gå ind på den ønskede formular og vælg derefter følgende punkter i menuen:",
            " 1   Indstillinger",
            " 2   Indsendelser",
            " 3   Gem",
        ]
    )
    assert pages_to_text([page]).endswith("1. Indstillinger\n2. Indsendelser\n3. Gem")
    page = _layout(
        [
            " 2   Baggrund",
            " Regionerne har i flere år arbejdet sammen om en fælles løsning for journalen,",
            " og den er nu i drift i alle fem regioner.",
        ]
    )
    assert pages_to_text([page]).startswith("# 2 Baggrund\n\n")


def test_font_size_and_weight_mark_headings():
    page = _layout(
        [
            " Adgang til journalen for",
            " pårørende",
            " Borgeren kan give en pårørende adgang.",
            " Fuldmagt",
            " Det kræver en digital fuldmagt.",
        ]
    )
    styles = [(16.0, True, 760.0), (16.0, True, 742.0), (10.0, False, 720.0)]
    styles += [(10.0, True, 700.0), (10.0, False, 687.0)]
    assert pages_to_text([page], [styles]).split("\n\n") == [
        "# Adgang til journalen for pårørende",  # one heading set over two lines
        "Borgeren kan give en pårørende adgang.",
        "## Fuldmagt",  # bold at the body's size: a level below the larger type
        "Det kræver en digital fuldmagt.",
    ]


def test_a_bold_sentence_and_a_bold_list_items_second_line_are_not_headings():
    page = _layout(
        [
            " Bemærk: indsendelser slettes efter 30 dage.",
            " 1. Vælg formularen og klik på Indstillinger under",
            "    Indsendelser og gem",
        ]
    )
    styles = [(10.0, True, 700.0), (10.0, True, 680.0), (10.0, True, 667.0)]
    text = pages_to_text([page], [styles])
    assert "#" not in text
    assert "1. Vælg formularen og klik på Indstillinger under Indsendelser og gem" in text


def test_spacing_between_lines_ends_paragraphs_where_the_words_do_not():
    # 13 points between the lines of a paragraph, 19 between paragraphs
    page = _layout(
        [
            " Det er muligt at lave vilkår for elementer, alt efter om",
            " CPR er større end en given værdi.",
            " Der findes en token for dags dato.",
            " Det kræver at CPR kan omsættes til en dato.",
        ]
    )
    styles = [(10.0, False, 700.0), (10.0, False, 687.0), (10.0, False, 668.0)]
    styles += [(10.0, False, 649.0)]
    assert pages_to_text([page], [styles]).split("\n\n") == [
        "Det er muligt at lave vilkår for elementer, alt efter om CPR er større end en "
        "given værdi.",
        "Der findes en token for dags dato.",
        "Det kræver at CPR kan omsættes til en dato.",
    ]


def test_small_header_and_footer_of_a_one_page_document_are_dropped():
    page = _layout(
        [
            "Region Syddanmark · Vejledning                          Version 2",
            "",
            "",
            " Patienten kan se sine prøvesvar på sundhed.dk.",
            " Svarene vises efter syv dage.",
            "",
            "",
            "Sundhedsplatformen                                      Side 1 af 1",
        ]
    )
    styles = [(8.0, False, 800.0), (10.0, False, 700.0), (10.0, False, 687.0)]
    styles += [(8.0, False, 40.0)]
    text = pages_to_text([page], [styles])
    assert text == "Patienten kan se sine prøvesvar på sundhed.dk. Svarene vises efter syv dage."


def test_a_number_column_on_the_last_line_is_not_a_page_number():
    page = _layout(
        [
            " Trin      Handling",
            " 1         Åbn formularen",
            " 2         Udfyld felterne",
            " 3         Klik Send",
        ]
    )
    assert pages_to_text([page]).split("\n\n")[-1] == "Trin: 3; Handling: Klik Send"


def test_a_web_address_broken_after_a_slash_is_joined():
    text = pages_to_text(
        [
            "Gå til https://test.os2forms.dk/da/admin/config/system/\n"
            "datafordeler-address-lookup og indtast din token."
        ]
    )
    assert "https://test.os2forms.dk/da/admin/config/system/datafordeler-address-lookup og" in (
        text
    )


def test_short_and_capitalised_syllables_are_joined_but_abbreviations_keep_the_hyphen():
    text = pages_to_text(
        [
            "Vælg den måde, som dato-\nvælgeren viser datoen på: den stan-\n"
            'dardiserede må-\nder findes under "Avance-\nret" i formularen.'
        ]
    )
    assert "datovælgeren" in text and "standardiserede måder" in text
    assert '"Avanceret"' in text
    text = pages_to_text(
        ["Journalen gemmes som pdf-\nfil i EPJ-\nsystemet, og borgeren får en sms-\nbesked."]
    )
    assert "pdf-fil" in text and "EPJ-systemet" in text and "sms-besked" in text


def test_text_after_a_table_in_another_size_is_not_a_cell():
    page = _layout(
        [
            " Trin      Handling",
            " 1         Find OS2forms sync",
            " 2         Vælg Update manually now",
            " Formularen",
            " bliver opdateret, og den gamle version findes under revisioner.",
        ]
    )
    styles = [(8.5, True, 700.0), (8.5, False, 684.0), (8.5, False, 668.0)]
    styles += [(10.0, False, 650.0), (10.0, False, 637.0)]
    blocks = pages_to_text([page], [styles]).split("\n\n")
    assert blocks[-1] == (
        "Formularen bliver opdateret, og den gamle version findes under revisioner."
    )
    assert blocks[-2] == "Trin: 2; Handling: Vælg Update manually now"


def test_space_only_around_headings_leaves_paragraphs_to_the_shape_of_lines():
    # no space between paragraphs: only the heading stands apart
    page = _layout(
        [
            " Spørgsmål",
            " Emne: Formular elementer",
            " Anonym bruger",
            " Er det muligt at lave alderskontrol på baggrund af CPR-nummer fra NemID, så",
            " personen skal være fyldt 18 år for at kunne sende formularen?",
        ]
    )
    styles = [(14.0, True, 760.0), (11.0, False, 736.0), (11.0, False, 722.0)]
    styles += [(11.0, False, 708.0), (11.0, False, 694.0)]
    assert pages_to_text([page], [styles]).split("\n\n") == [
        "# Spørgsmål",
        "Emne: Formular elementer",
        "Anonym bruger",
        "Er det muligt at lave alderskontrol på baggrund af CPR-nummer fra NemID, så "
        "personen skal være fyldt 18 år for at kunne sende formularen?",
    ]


def test_table_of_contents_lines_are_dropped():
    page = (
        "Indhold\nIndledning .................................. 3\n"
        "2.1 Adgang til journalen . . . . . . . . . . . 7\n"
        f"Indledning\n{WIDE}\nog den er i drift nu. Se afsnit 2 på side 7."
    )
    text = pages_to_text([page])
    assert "...." not in text and ". . ." not in text
    assert "Se afsnit 2 på side 7." in text


def test_where_sizes_are_known_a_lead_in_set_like_the_text_stays_with_its_list():
    page = _layout(
        [
            " For at kunne gøre dette skal du",
            " - have oprettet formularer",
            " - have koblet flow på formularen",
        ]
    )
    styles = [(10.0, False, 700.0), (10.0, False, 681.0), (10.0, False, 662.0)]
    assert pages_to_text([page], [styles]).split("\n\n") == [
        "For at kunne gøre dette skal du",
        "- have oprettet formularer\n- have koblet flow på formularen",
    ]
    # without sizes, the shape of the lines still finds a heading over a list
    assert pages_to_text(["Tilbud\n- telemedicin\n- fælles booking"]).startswith("# Tilbud")


# --- words torn apart by layout mode -------------------------------------------------
# pypdf's layout mode can misjudge a glyph's width (a ligature counted as one
# character); the rest of the line drifts, and a word is torn apart by a wide gap.
# The page's plain reading keeps the words whole and decides which gaps to close.


def test_a_word_torn_apart_by_layout_mode_is_mended_from_the_plain_reading():
    layout = (
        "Du kan bruge denne vejledning, hvis formularen skal være en del af\n"
        "et ﬂow og bor      geren skal kunne besøge formularen. NB: det virker i øjeblikket\n"
        "og har konﬁgur      eret CPR opslag på [site]/admin/os2web-datalook          up."
    )
    plain = (
        "Du kan bruge denne vejledning, hvis formularen skal være en del af\n"
        "et ﬂow og borgeren skal kunne besøge formularen. NB: det virker i øjeblikket\n"
        "og har konﬁgureret CPR opslag på [site]/admin/os2web-datalookup."
    )
    mended = mend_split_words(layout, plain)
    assert "og borgeren skal" in mended
    # both pieces are words of the page too, but never side by side there
    both = mend_split_words(
        "Unique identiﬁer er en nøgle.\nStandard identiﬁer        en er altid submission.",
        "Unique identiﬁer er en nøgle.\nStandard identiﬁeren er altid submission.",
    )
    assert both.endswith("Standard identiﬁeren er altid submission.")
    assert "har konﬁgureret CPR" in mended
    assert mended.endswith("[site]/admin/os2web-datalookup.")
    assert mended.split("\n")[0] == layout.split("\n")[0]  # whole lines are left alone


def test_table_columns_and_words_the_page_also_writes_apart_stay_apart():
    layout = "Trin        Handling          Illustration\nog     så gemmes den også"
    plain = "Trin Handling Illustration\nog så gemmes den også"
    # "TrinHandling" is no word of the page; "også" is, but so is "og så" side by side.
    assert mend_split_words(layout, plain) == layout
    assert mend_split_words(layout, "") == layout  # nothing to mend from


def test_a_table_wider_than_the_text_does_not_end_every_line_of_the_text():
    table = (
        "Trin                                Handling                               Illustration"
    )
    lines = [
        "Du kan bruge denne vejledning, hvis formularen skal være en del af et",
        "flow og borgeren skal kunne besøge den. NB: det virker i øjeblikket kun med",
        "OIDC som Nem-login ansvarlig.",
        "",
        table,
        "1              Gå til indstillinger                  Billede",
    ]
    text = pages_to_text(["\n".join(lines)])
    # The prose lines fill the text column (the table's columns reach further out):
    # the capitalised "OIDC" goes on with the sentence broken before it.
    assert "kun med OIDC som Nem-login ansvarlig." in text


def test_a_row_of_column_heads_is_no_heading_of_the_text():
    lines = [
        "Du kan bruge denne vejledning, hvis formularen skal være en del af et flow og",
        "borgeren skal kunne besøge formularen.",
        "",
        "Trin                 Handling                    Illustration",
        "Gå til indstillinger på din formular, og vælg den rigtige fane først.",
        "",
        "Formål",
        "Vejledningen viser, hvordan man sætter login op på en formular i et flow.",
    ]
    text = pages_to_text(["\n".join(lines)])
    assert "# Trin" not in text and "Trin Handling Illustration" in text
    assert "# Formål" in text  # a short line alone is still a heading


def test_mending_joins_no_numbers_and_keeps_the_columns_in_place():
    plain = "Region Nord 1 2 Syd 3 4 Side 12\nKonﬁgureret Dato Nej"
    # two number cells stay two, though "12" is written elsewhere on the page
    assert mend_split_words("Nord        1         2", plain) == "Nord        1         2"
    layout = "Konﬁgur      eret      Dato      Nej"
    mended = mend_split_words(layout, plain)
    assert mended.startswith("Konﬁgureret ")
    # the cells after the mended word start in the columns they started in
    assert mended.index("Dato") == layout.index("Dato")
    assert mended.index("Nej") == layout.index("Nej")


def test_justified_text_still_sets_the_text_column_width():
    lines = [
        "Regionerne   har i flere år arbejdet   sammen om en fælles løsning for journalen,",
        "og den er nu i   drift   i alle fem regioner, hvor den bruges af   alle hospitaler.",
        "Den sidste linje i afsnittet er kortere end de andre her.",
        "Næste   afsnit handler om   driften og om, hvem der har ansvaret   for den i dag,",
        "og om   hvordan   den   bliver   fulgt op   af   regionernes   fælles   styregruppe.",
    ]
    text = pages_to_text(["\n".join(lines)])
    # The paragraph's short last line ends well before the justified column is full:
    # the capitalised line after it opens a paragraph.
    assert "andre her.\n\nNæste afsnit" in text
