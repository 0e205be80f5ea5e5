"""Answer types: what a question asks for, whether a sentence holds it, and the short answer.

All sentences here are written for these tests (no demo article); no model is loaded.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.answer.answer_types import (
    ANSWER_KINDS,
    answer_span,
    answer_type_terms,
    count_noun,
    described_name,
    expected_answer_type,
    has_answer_type,
    introduces,
    states_absence,
    type_fit,
)
from rag.text.tokenize import tokenize


def span_text(question: str, sentence: str, kind: str | None = None) -> str | None:
    span = answer_span(question, sentence, kind)
    return None if span is None else sentence[span[0] : span[1]]


# --- expected_answer_type -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How old was the pilot?", "age"),
        ("At what age did she retire?", "age"),
        ("How many homes were destroyed?", "number"),
        ("How far is the village from the dam?", "number"),
        ("What percentage of voters backed the plan?", "number"),
        ("What was the population of the town?", "number"),
        ("How much did the new bridge cost?", "money"),
        ("How much money was raised for the victims?", "money"),
        ("What price did the museum pay for the painting?", "money"),
        ("When did the strike begin?", "date"),
        ("In what year was the school founded?", "date"),
        ("What day will the vote take place?", "date"),
        ("How long did the siege last?", "duration"),
        ("How long has the mayor been in office?", "duration"),
        ("Who signed the decree?", "person"),
        ("To whom was the letter addressed?", "person"),
        ("Which official announced the curfew?", "person"),
        ("What famous conductor studied there?", "person"),
        ("Where did the ferry sink?", "place"),
        ("Which country hosted the talks?", "place"),
        ("In what city was the summit held?", "place"),
        ("Which company built the dam?", "organization"),
        ("What agency is investigating the crash?", "organization"),
        ("Did the minister resign?", "yesno"),
        ("Were any passengers injured?", "yesno"),
        ("Has the airport reopened?", "yesno"),
        ("Did the army say how many soldiers it deployed?", "yesno"),
        ("What caused the fire?", None),
        ("Why did the talks collapse?", None),
        ("How did the prisoners escape?", None),
        ("What was the name of the ship?", None),
        # the name of people: names, although "which sailors" may be answered by a description
        ("What are the names of the two rescued sailors?", "person"),
        ("What was the name of the mayor's aide?", "person"),
        ("Name the two rescued sailors.", "person"),
        ("Which sailors were rescued?", None),
        ("What is the name of the sailors' ship?", None),
    ],
)
def test_expected_answer_type__reads_the_question_wording(question, kind):
    assert kind is None or kind in ANSWER_KINDS
    assert expected_answer_type(question) == kind


def test_expected_answer_type__order_matters():
    assert expected_answer_type("How old is the bridge?") == "age"  # not "number" for "how ..."
    assert expected_answer_type("How much money did the fund lose?") == "money"  # not "number"
    assert expected_answer_type("How much rain fell overnight?") == "number"
    assert expected_answer_type("How long is the new tunnel?") == "number"  # a length, not a duration
    assert expected_answer_type("How long did the blackout last?") == "duration"
    # "how long is/was" asks for a duration of what happens or is done to something
    assert expected_answer_type("How long is the free trial?") == "duration"
    assert expected_answer_type("How long was the vote delayed?") == "duration"
    assert expected_answer_type("How long was the road closed for?") == "duration"
    assert expected_answer_type("How long after the fire did the road reopen?") == "duration"
    assert expected_answer_type("How long were the sailors stuck in Kell?") == "duration"
    assert expected_answer_type("How long was the fault where the quake occurred?") == "number"  # "occurred" is the clause's


def test_expected_answer_type__the_asking_wh_word_not_a_leading_clause():
    # "When ..., what ..." asks what; a type noun used as a modifier does not count.
    assert expected_answer_type("When the dam failed, what did engineers blame?") is None
    assert expected_answer_type("What Catholic Church liturgical belief did he reject?") is None
    assert expected_answer_type("What do the leaders of the two parties want?") is None
    assert expected_answer_type("According to the article, who chairs the inquiry?") == "person"


def test_count_noun__the_counted_thing():
    assert count_noun("How many homes were destroyed?") == "homes"
    assert count_noun("How many of the miners were rescued?") == "miners"
    assert count_noun("How many Chinese students enrolled?") == "students"
    assert count_noun("What was the total number of votes cast?") == "votes"
    assert count_noun("How many people live in the valley?") == "people"
    assert count_noun("How many were killed?") is None
    assert count_noun("When did the fire start?") is None


# --- type_fit -------------------------------------------------------------------------------


def test_type_fit__counted_noun_is_strong_a_measurement_is_none():
    question = "How many homes were destroyed?"
    assert type_fit("The blaze destroyed 45 homes near the lake.", "number", question) == 1.0
    assert type_fit("Firefighters said 45 of the homes were lost.", "number", question) == 1.0
    assert type_fit("Crews counted 45 destroyed houses.", "number", question) == 1.0  # near synonym
    # The acreage matches the question's words but holds no count of homes.
    assert type_fit("The fire burned 12,000 acres, destroying homes.", "number", question) == 0.0
    # A bare number may be the answer.
    assert type_fit("Of those homes, 45 were destroyed.", "number", question) == 1.0
    assert type_fit("The final tally was 45.", "number", question) == 0.5
    assert type_fit("The fire started in 2019.", "number", question) == 0.0  # a year is not a count
    assert type_fit("Nobody knows who lit the fire.", "number", question) == 0.0


def test_type_fit__a_number_counts_the_noun_phrase_it_opens():
    question = "How many hostages were freed?"
    # "the 3 rebels for hostages" counts rebels: the noun phrase ends at "for".
    assert type_fit("The army offered to swap the 3 rebels for hostages held in the hills.", "number",
                    question) == 0.5
    assert type_fit("The army freed 3 of the hostages held in the hills.", "number", question) == 1.0
    assert span_text(question, "The army freed 12 rebels and 3 hostages held in the hills.") == "3 hostages"


def test_type_fit__a_number_glued_to_a_code_letter_counts_nothing():
    assert type_fit("The carrier sold 5G phones in 3D boxes.", "number", "How many phones were sold?") == 0.0
    assert span_text("How many phones were sold?", "The carrier sold 5G phones, 40 in all.") == "40"


def test_type_fit__a_population_is_a_count_of_people():
    question = "What is the population of Lyon?"
    # a number counting other people or things is no population; a bare one may be
    assert type_fit("About 4,000 firefighters were deployed in Lyon on Monday.", "number", question) == 0.0
    assert type_fit("The five districts of Lyon voted on Monday.", "number", question) == 0.0
    assert type_fit("By 1860 it had grown to 40,000 and kept growing.", "number", question) == 0.5
    assert type_fit("A city of 500,000 sits on the river.", "number", question) == 0.5  # "sits" is no noun
    assert type_fit("About 4,000 firefighters were deployed in Lyon.", "number", "How many were deployed?") == 1.0
    assert type_fit("Lyon, a city of 500,000 people, hosted the summit.", "number", question) == 1.0
    assert type_fit("Lyon has 500,000 inhabitants.", "number", question) == 1.0
    # The counted noun right before the number, whatever follows it.
    assert type_fit("Lyon had a population of 522,250 spread over 48 square kilometres.", "number",
                    question) == 1.0
    assert span_text(question, "Lyon had a population of 522,250 spread over 48 square kilometres.") == "522,250"
    # Another count right after the counted noun is not it.
    assert span_text("How many tents were flown in?", "The agency flew 557 tents and 2,500 quilts.") == "557 tents"
    assert type_fit("The agency runs five nursing homes, six clinics and a school.", "number",
                    "How many clinics does the agency run?") == 1.0
    assert span_text("How many nursing homes does the agency run?",
                     "The agency runs five nursing homes, six clinics and a school.") == "five nursing homes"


def test_type_fit__measurement_questions_want_their_unit():
    question = "How far is the village from the dam?"
    assert type_fit("The village lies 12 kilometres below the dam.", "number", question) == 1.0
    assert type_fit("About 40% of the village was flooded.", "number", question) == 0.0
    percent = "What percentage of voters backed the plan?"
    assert type_fit("Some 62% of voters backed the plan.", "number", percent) == 1.0
    assert type_fit("The plan was backed by 3,100 voters.", "number", percent) == 0.5


@pytest.mark.parametrize(
    ("kind", "question", "sentence", "fit"),
    [
        ("age", "How old were the climbers?", "The climbers, aged 20 and 26, were rescued.", 1.0),
        ("age", "How old is the mayor?", "Mayor Ana Ruiz, 58, opened the bridge.", 1.0),
        ("age", "How old was the pilot?", "The 43-year-old pilot landed safely.", 1.0),
        ("age", "How old was the pilot?", "The pilot had flown 12 missions.", 0.5),
        ("age", "How old was the pilot?", "The pilot landed safely.", 0.0),
        ("money", "How much did the bridge cost?", "The bridge cost $4.5 million to build.", 1.0),
        ("money", "How much did the bridge cost?", "The bridge cost 4.5 million euros.", 1.0),
        ("money", "How much did the bridge cost?", "The bridge took 4 years to build.", 0.0),
        ("money", "How much did the bridge cost?", "Some 300 workers built the bridge.", 0.0),  # counts workers
        ("money", "How much did the bridge cost?", "The council paid 4.5 million for it.", 0.5),
        ("money", "How much did the bridge cost?", "The council paid 4.5 million annually.", 0.5),
        ("date", "When did the strike begin?", "Workers walked out on Tuesday.", 1.0),
        ("date", "When did the strike begin?", "The strike began on March 3, 2021.", 1.0),
        ("date", "When did the strike begin?", "The strike began in 2021.", 0.5),
        ("date", "In what year did the strike begin?", "The strike began in 2021.", 1.0),
        ("date", "When did the strike begin?", "The strike began over pay.", 0.0),
        ("duration", "How long did the strike last?", "The strike lasted three weeks.", 1.0),
        ("duration", "How long did the strike last?", "The strike ran from 2019 to 2021.", 0.5),
        ("duration", "How long did the strike last?", "The strike ended peacefully.", 0.0),
        ("person", "Who chairs the inquiry?", "The inquiry is chaired by Judge Helen Marsh.", 1.0),
        ("person", "Who chairs the inquiry?", "The inquiry, said Okafor, will report soon.", 1.0),
        ("person", "Who chairs the inquiry?", "The inquiry will sit in Leeds.", 0.0),  # a place
        ("person", "Who chairs the inquiry?", "The inquiry will report to Parliament.", 0.5),
        ("person", "Who chairs the inquiry?", "The inquiry will report soon.", 0.0),
        ("place", "Where was the summit held?", "Leaders met in Helsinki for the summit.", 1.0),
        ("place", "Where was the summit held?", "Leaders met near Lake Tana.", 1.0),
        ("place", "Where was the summit held?", "Leaders thanked Ortega for the summit.", 0.5),
        ("place", "Where was the summit held?", "The summit ended without a deal.", 0.0),
        ("place", "Where was the summit held?", "Coast guard officers guarded the summit.", 0.5),  # no place cue
        ("place", "Where was the summit held?", "Leaders met on the Gold Coast.", 1.0),
        ("organization", "Which company built the dam?", "The dam was built by Norbridge Ltd.", 1.0),
        ("organization", "Which company built the dam?", "The dam was built by Norbridge.", 0.5),
        ("organization", "Which company built the dam?", "The dam was built in a year.", 0.0),
    ],
)
def test_type_fit__strong_weak_none_for_each_kind(kind, question, sentence, fit):
    assert expected_answer_type(question) == kind
    assert type_fit(sentence, kind, question) == fit
    assert has_answer_type(sentence, kind, question) is (fit >= 0.5)


def test_type_fit__a_name_the_question_already_uses_is_not_an_answer():
    question = "Who did Okafor appoint to the inquiry?"
    assert type_fit("Okafor spoke about the inquiry.", "person", question) == 0.0
    assert type_fit("Okafor appointed Judge Helen Marsh to the inquiry.", "person", question) == 1.0


def test_type_fit__a_common_noun_opening_the_sentence_is_no_name():
    question = "Who delayed the convoy?"
    # Capitalised only because they open the sentence or a clause.
    for sentence in ("Reports from local officials suggest the convoy was delayed.",
                     "Interrogations, led by army officers, showed the convoy was delayed.",
                     "Officials said: Permission for the convoy was withheld, so it was delayed.",
                     "Its driver said of the delayed convoy: “It’s all fine, really.”"):
        assert type_fit(sentence, "person", question) == 0.0, sentence
        assert answer_span(question, sentence) is None, sentence
    # Names opening a sentence stay names.
    for sentence, name in (("Olsen delayed the convoy on Monday.", "Olsen"),
                           ("Jones of the transport agency delayed the convoy.", "Jones"),
                           ("Florence Adu on Monday delayed the convoy.", "Florence Adu"),
                           ("Reports from Oslo say Olsen delayed the convoy.", "Olsen"),
                           ("Lawrence delayed the convoy.", "Lawrence"),
                           ("GameTrailers for its part blamed the convoy's delay on the army.", "GameTrailers")):
        assert span_text(question, sentence) == name, sentence


def test_type_fit__no_type_and_plain_yes_no_fit_everything():
    assert type_fit("Anything at all.", None, "What caused the fire?") == 1.0
    assert type_fit("Anything at all.", "yesno", "Did the minister resign?") == 1.0
    assert has_answer_type("Anything at all.", None)


def test_type_fit__yes_no_about_a_detail_wants_the_detail_or_its_absence():
    question = "Did the ministry say how many soldiers it deployed?"
    assert type_fit("The ministry said 3,000 soldiers were deployed.", "yesno", question) == 1.0
    assert type_fit("The ministry did not disclose how many troops were sent.", "yesno", question) == 1.0
    assert type_fit("The ministry confirmed the deployment.", "yesno", question) == 0.5


# --- "Who is ...?" --------------------------------------------------------------------------


@pytest.mark.parametrize(("question", "name"), [
    ("Who is Mick Ryan?", "Mick Ryan"),
    ("who were the Semuren?", "Semuren"),
    ("Who was Kim Jong Un", "Kim Jong Un"),
    ("Who is the President?", None),  # a role: a name is asked
    ("Who is the president of France?", None),
    ("Who was Guy's rival?", None),
    ("Who is he?", None),
    ("Who wrote the report?", None),
])
def test_described_name__who_is_a_name_asks_for_a_description(question, name):
    assert described_name(question) == name
    assert (expected_answer_type(question) is None) == (name is not None)


@pytest.mark.parametrize(("sentence", "name", "expected"), [
    ("Kremlin spokesperson Dmitry Peskov dismissed the claims.", "Dmitry Peskov", True),
    ("Northland's prime minister, Ruth Almqvist, offered a swap.", "Ruth Almqvist", True),
    ("\u201cIt is slow,\u201d said Mick Ryan, a retired Australian major general.", "Mick Ryan", True),
    ("Kim Jong Un, North Korea's leader, hailed the fighters.", "Kim Jong Un", True),
    ("Warsz was a 12th-century nobleman.", "Warsz", True),
    ("Zelensky, however, disputed the claim.", "Zelensky", False),
    ("The bill gives Aung San Suu Kyi more leverage.", "Aung San Suu Kyi", False),
    ("The minister met reporters.", "Ruth Almqvist", False),
])
def test_introduces__a_role_or_a_description_next_to_the_name(sentence, name, expected):
    assert introduces(sentence, name) is expected


# --- states_absence -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("Did the ministry say how many soldiers it deployed?",
         "The ministry did not disclose how many troops were sent to the border."),
        ("How many soldiers were deployed?", "Commanders declined to say how many troops were deployed."),
        ("When will the bridge reopen?", "Officials said it is unclear when the bridge will reopen."),
        ("Who set the fire?", "It is not known who set the fire."),
        ("How many people died in the flood?", "No casualty figures were given after the flood."),
        ("How much did the stadium cost?", "The club has not confirmed the cost of the stadium."),
        ("Where is the suspect being held?", "Police would not reveal where the suspect is being held."),
        ("What did the ministry say about the talks?", "The ministry refused to comment on the talks."),
        ("How much did the club pay for the striker?", "The club did not say how many dollars it paid for the striker."),
        ("How long did the miners stay underground?", "Officials did not say how many days the miners stayed underground."),
        # A missing count of anyone answers a count of people.
        ("How many people were aboard the ferry?", "Officials did not say how many passengers were aboard the ferry."),
    ],
)
def test_states_absence__the_asked_detail_is_not_known_or_not_given(question, sentence):
    assert states_absence(sentence, question)
    kind = expected_answer_type(question)
    assert type_fit(sentence, kind, question) == 1.0


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("How many homes were destroyed?", "The fire destroyed 45 homes."),  # the detail is given
        ("Where did the fire start?", "It is unclear how many homes the fire destroyed."),  # another detail
        ("How many homes were destroyed?", "It is unclear when the fire started."),
        ("How many soldiers were deployed?", "It is unclear how many people live in the valley."),  # off topic
        ("What do the new rules protect?", "For years it was unclear how the rules would be enforced."),
        ("Did the company give up?", "The company did not give up its claim."),  # not about telling
        ("How many people attended?", "If the number is not known, organisers estimate it."),  # a condition
        ("Who built the tower?", "The tower was not known to tourists until 1990."),
        # A missing count of something named answers that count only, not a sum or an age.
        ("How much did the club pay for the striker?", "The club did not disclose how many players it signed."),
        ("How old were the victims?", "Police did not say how many victims were children."),
        # ... and a count of that thing, not of another one.
        ("How many drones did the troops shoot down?", "The ministry did not disclose how many troops were sent."),
        ("How many boats did the navy send?", "The navy did not say how many sailors were aboard the boat."),
    ],
)
def test_states_absence__negatives(question, sentence):
    assert not states_absence(sentence, question)


# --- answer_span ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "sentence", "expected", "offsets"),
    [
        ("How old were the climbers?", "The climbers, aged 20 and 26, were rescued on Sunday.", "20 and 26", (19, 28)),
        ("How old is the mayor?", "Mayor Ana Ruiz, 58, said the road would reopen.", "58", (16, 18)),
        ("How many homes were destroyed?", "The blaze burned 12,000 acres and destroyed 45 homes near the town.",
         "45 homes", (44, 52)),
        ("How many troops were sent?", "Officials said about 12,000 troops had crossed the border.",
         "about 12,000 troops", (15, 34)),
        ("How many people were evacuated?", "In total, 2,700 were evacuated overnight.", "2,700", (10, 15)),
        ("How much did the new bridge cost?", "The bridge cost $4.5 million and opened in March.",
         "$4.5 million", (16, 28)),
        ("When did the factory close?", "The factory closed in October 2024 after two years of losses.",
         "October 2024", (22, 34)),
        ("When was the treaty signed?", "The treaty was signed on January 13 in Geneva.", "January 13", (25, 35)),
        ("When did the strike begin?", "Workers walked out on Tuesday, the union said.", "Tuesday", (22, 29)),
        ("How long did the strike last?", "The strike lasted three weeks before a deal was reached.",
         "three weeks", (18, 29)),
        ("Who leads the agency?", "The agency is led by director Jane Smith, who took over in 2020.",
         "Jane Smith", (30, 40)),
        ("Where was the summit held?", "Leaders met for the summit in Helsinki on Monday.", "Helsinki", (30, 38)),
        ("Where did the ship dock?", "The ship docked in St. Petersburg in May.", "St. Petersburg", (19, 33)),  # "St." is the place's
        # where they come from is not where it happened (unless the question asks "from")
        ("Where were the sailors detained?", "Officers detained two sailors from the republic of Estria near the island of Kell.", "Kell", (77, 81)),
        ("Where were the sailors from?", "Officers detained two sailors from the republic of Estria near the island of Kell.", "Estria", (51, 57)),
        # "Coast" opens the sentence and names no place: the place is the island's
        ("Where were the sailors detained?", "Coast guard officers detained the sailors near the island of Kell.",
         "Kell", (61, 65)),
        ("Which company built the dam?", "The dam was built by Norbridge Construction Ltd in the 1990s.",
         "Norbridge Construction Ltd", (21, 47)),
        # where in general: the named institution with the town it is in; the town for "what
        # town", and for a question that names the institution itself
        ("Where was the pilot treated?", "The pilot was treated at St. Mary General Hospital in Leeds on Friday.",
         "St. Mary General Hospital in Leeds", (25, 59)),
        ("What town was the pilot treated in?",
         "The pilot was treated at St. Mary General Hospital in Leeds on Friday.", "Leeds", (54, 59)),
        ("Where is St. Mary General Hospital?",
         "The pilot was treated at St. Mary General Hospital in Leeds on Friday.", "Leeds", (54, 59)),
        # a job title capitalised before the person's name is not their name
        ("Who confirmed the change?", "Harlow Chief Financial Officer Dana Whitlock confirmed the change.",
         "Dana Whitlock", (31, 44)),
        ("Who spoke to reporters?", "Later, Police Officer Whitlock spoke to reporters.", "Police Officer Whitlock", (7, 30)),
        # "the community of X" names a place as "the town of X" does
        ("Where was the community that was evacuated?",
         "The threat from the Marsh Fire led to the evacuation of the community of Lindale.", "Lindale", (73, 80)),
    ],
)
def test_answer_span__the_short_answer_with_exact_offsets(question, sentence, expected, offsets):
    assert answer_span(question, sentence) == offsets
    assert sentence[offsets[0] : offsets[1]] == expected


def test_answer_span__a_second_count_that_leaves_the_noun_out():
    # "... 30 miners were killed and 140 injured": 140 counts miners too; it answers the
    # question using its own word, the first count answers the rest
    sentence = "Officials said 30 coal miners were killed and 140 injured in the blast at Harlow pit."
    assert span_text("How many miners were injured in the blast?", sentence) == "140"
    assert span_text("How many miners were killed?", sentence) == "30 coal miners"
    assert span_text("How many miners died?", sentence) == "30 coal miners"  # died ~ killed
    assert span_text("How many miners died?", "Officials said 30 miners were hurt and 12 killed.") == "12"
    assert span_text("How many miners were there?", sentence) == "30 coal miners"
    verb_first = "The quake killed 12 villagers and injured 85, the ministry said."
    assert span_text("How many villagers were injured?", verb_first) == "85"
    assert span_text("How many villagers were killed?", verb_first) == "12 villagers"
    # the question uses the first count's own words: the second stays below it, however near
    trapped = "Officials said 16 miners were trapped, and 13 have been rescued since."
    assert span_text("How many miners were trapped?", trapped) == "16 miners"
    assert span_text("How many miners have been rescued?", trapped) == "13"
    # a count of another noun answers nothing
    other = "The network has more than 250 stations and 20 rail lines."
    assert span_text("How many stations does the network have on its rail lines?", other) == "more than 250 stations"


def test_answer_span__picks_the_candidate_nearest_the_question_words():
    sentence = "Rescuers said 3 people died, and the storm destroyed 45 homes and 2 bridges."
    assert span_text("How many homes were destroyed?", sentence) == "45 homes"
    assert span_text("How many bridges were destroyed?", sentence) == "2 bridges"
    names = "Judge Ortiz opened the hearing before Senator Malik questioned the witness."
    assert span_text("Who questioned the witness?", names) == "Malik"
    assert span_text("Who opened the hearing?", names) == "Ortiz"


def test_answer_span__the_unit_the_question_names_beats_another_of_its_class():
    fire = "By Saturday morning the blaze had burned 3,100 acres, or almost five square miles, of brush."
    assert span_text("How many acres of brush had the blaze burned?", fire) == "3,100 acres"
    assert span_text("How many square miles had the blaze burned?", fire) == "almost five square miles"
    rain = "Kell's yearly rainfall is 1,270 mm (49.9 inches), most of it in winter."
    assert span_text("How many inches of rain does Kell get in a year?", rain) == "49.9 inches"
    assert span_text("How many millimetres of rain does Kell get in a year?", rain) == "1,270 mm"


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        ("How many people were injured in the blast?", "No injuries were reported after the blast.", "No injuries"),
        ("How many people were injured?", "No serious injuries were reported.", "No serious injuries"),
        ("How many residents were hurt?", "Nobody was hurt, the council said.", "Nobody"),
        ("How many people died?", "No one was killed in the crash.", "No one"),  # killed ~ died
        ("How many sailors were hurt?", "None of the sailors were injured.", "None"),  # injured ~ hurt
        ("How many homes were lost?", "No homes were lost, but 12 sheds burned.", "No homes"),
    ],
)
def test_answer_span__a_count_of_zero(question, sentence, expected):
    assert type_fit(sentence, "number", question) == 1.0
    assert span_text(question, sentence) == expected


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("How many people were injured?", "No one knows how the blaze started."),  # no count
        ("How many homes were destroyed?", "No one was injured."),  # zero of something else ("one" is no number)
        ("How many people died?", "No injuries were reported."),
        ("How many people were injured?", "The hills have no roads."),
        ("How many people were injured in the fire?", "There were no firefighters nearby."),
        ("How many people were injured?", "The council said no."),
        ("How many people were injured?", "The road reopens if no injuries are reported."),  # a condition
    ],
)
def test_type_fit__no_zero_count_of_what_is_not_asked(question, sentence):
    assert type_fit(sentence, "number", question) == 0.0
    # "no more than 5" is a bound on a number, not zero
    assert span_text("How many people were injured?", "There were no more than 5 injuries.") == "more than 5"


def test_answer_span__none_for_open_and_yes_no_questions_and_without_candidates():
    sentence = "The minister resigned on Friday after 12 years in office."
    assert answer_span("Did the minister resign?", sentence) is None
    assert answer_span("Why did the minister resign?", sentence) is None
    assert answer_span("Who replaced the minister?", sentence) is None
    assert answer_span("How many homes were destroyed?", "The fire burned 12,000 acres.") is None
    # An explicit kind overrides the question's.
    assert span_text("Why did the minister resign?", sentence, "date") == "Friday"


# --- answer_type_terms ----------------------------------------------------------------------


def test_answer_type_terms__the_question_words_a_typed_sentence_covers():
    def stem(word: str) -> str:
        return tokenize([word])[0][0]

    assert stem("old") in answer_type_terms("age")
    assert stem("many") in answer_type_terms("number")
    assert stem("cost") in answer_type_terms("money")
    assert stem("year") in answer_type_terms("date")
    assert stem("long") in answer_type_terms("duration")
    assert answer_type_terms("person") == frozenset()
    assert answer_type_terms(None) == frozenset()


# --- properties -----------------------------------------------------------------------------

_QUESTIONS = [
    "How old were the climbers?", "How many homes were destroyed?", "How much did it cost?",
    "When did the strike begin?", "How long did the siege last?", "Who chairs the inquiry?",
    "Where was the summit held?", "Which company built the dam?", "Did the minister resign?",
    "What caused the fire?", "What percentage of voters agreed?",
]
_PIECES = [
    "aged", "20", "and", "26", "$", "4.5", "million", "12,000", "acres", "homes", "on", "Tuesday", "January",
    "13", "2021", "-", "–", "three", "weeks", "Judge", "Helen", "Marsh", "in", "Helsinki", "Norbridge", "Ltd",
    "said", ",", ".", "%", "the", "The", "of", "  ", "\n", "'s", "’", "(", ")", "ten-horsepower", "St.", "É", "0",
    "not", "disclose", "how", "many", "unclear", "who", "1990s", "10th", "century",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    question=st.sampled_from(_QUESTIONS),
    sentence=st.one_of(
        st.lists(st.sampled_from(_PIECES), max_size=25).map(" ".join),
        st.lists(st.sampled_from(_PIECES), max_size=25).map("".join),
        st.text(max_size=120),
    ),
)
def test_answer_span__offsets_inside_the_sentence_and_never_blank(question, sentence):
    span = answer_span(question, sentence)
    if span is not None:
        start, end = span
        assert 0 <= start < end <= len(sentence)
        assert sentence[start:end].strip() == sentence[start:end] != ""
    assert type_fit(sentence, expected_answer_type(question), question) in (0.0, 0.5, 1.0)
    states_absence(sentence, question)
