"""What kind of answer a question expects, how well a sentence holds one, and the short answer itself.

The offline answerer quotes a *sentence*; a sentence that covers the question's words but holds
no answer of the asked kind ("How many homes were destroyed?" against "The fire burned 12,000
acres.") is a wrong quote however well it matches. This module is the cheap, deterministic,
gazetteer-free check for that, in the manner of classic (pre-neural) question answering:

* `expected_answer_type` reads the question's wording ("how old", "which country", "did ...").
* `type_fit` grades a sentence 1.0 (holds a clear answer of that kind), 0.5 (holds something
  that may be one: a bare number, a year only, a new capitalised name) or 0.0 (nothing).
* `states_absence` recognises a sentence saying the asked detail is *not* known or given
  ("declined to say how many troops"): for the reader that is the honest answer.
* `answer_span` picks the short answer inside the chosen sentence (the age, the figure, the
  name), preferring the candidate nearest the question's words (the "window" heuristic).

Everything works on one sentence's word tokens plus a few regular expressions that run only
when a cheap token test says they can match, so it can score every candidate sentence of every
question (well under 0.1 ms a sentence); questions and sentences are parsed once and cached.
The rules were fitted on the first half of the SQuAD 2.0 dev questions and checked on the
second half and on the SQuAD train sample, not on invented examples. Known limits: answers that
are not names or numbers ("the courts of member states") have no candidate; without a gazetteer
a capitalised name's kind is guessed from its neighbours (a title, "in", "Ltd"), so most
sentences with any name fit a name question weakly; and among equal candidates the nearest to
the question's words wins, which is wrong when the sentence names several actors.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from dataclasses import dataclass

from rag.text.lexical import QUESTION_WORDS
from rag.text.question_words import AUXILIARIES, WH_WORDS
from rag.text.tokenize import tokenize, tokenize_one

__all__ = [
    "ANSWER_KINDS",
    "answer_span",
    "answer_type_terms",
    "count_noun",
    "described_name",
    "expected_answer_type",
    "has_answer_type",
    "introduces",
    "states_absence",
    "type_fit",
]

ANSWER_KINDS = ("age", "number", "money", "date", "duration", "person", "place", "organization", "yesno")

STRONG = 1.0
WEAK = 0.5
NONE = 0.0


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ============================================================================================
# Vocabulary
# ============================================================================================

# Openers that carry no information: "According to the article, who ...", "So, when ...".
_LEAD = re.compile(
    r"^\s*(?:(?:according to|in|from|based on) (?:the |this )?(?:article|text|passage|report|story)s?,?\s*"
    r"|(?:and|but|so|also|then|ok|okay|now|well),?\s+)+",
    re.I,
)
_QUESTION_WORD = re.compile(r"[\w'-]+")
_IMPERATIVE = _words("name list identify give mention")

_MONEY_VERBS = _words(
    "cost costs costing pay paid pays paying spend spent spends spending earn earned earns earning raise raised "
    "raises charge charged charges sell sold sells fund funded funding worth price priced budget budgeted invest "
    "invested investment owe owed fine fined bail salary salaries revenue revenues profit profits debt debts loan "
    "loans donate donated donation donations tax taxes income wage wages bid bought buy buys purchase purchased "
    "value valued fee fees compensation damages settlement ransom grant grants subsidy subsidies endowment capital "
    "aid"
)
# Words after a bare amount that leave it a possible sum ("12 million won", "5 million each").
_MONEY_AFTER = _words("won each apiece a an per last this next that more less")
_MONEY_NOUNS = _words(
    "money cash funding funds dollars euros pounds capital investment endowment budget grants revenue profit "
    "salary wage price cost fee"
)
_DURATION_CUES = _words(
    "last lasted lasts lasting take took takes taken taking serve served serves reign reigned rule ruled live "
    "lived stay stayed remain remained wait waited hold held continue continued survive survived persist "
    "persisted endure endured sentenced ago until before since war term period trip journey flight delay tenure "
    "siege occupation process life lifespan career tour voyage campaign presidency marriage strike ceasefire "
    "lockdown shutdown era interval mission been trial subscription membership contract lease sentence ban "
    "suspension hiatus closure outage blackout"
)
_CLAUSE_OPENERS = _words("where which that who whom whose when while")
# States that last, after "How long was/were X ...": "stuck in Idomeni", "kept", "missing".
_STATES = _words("stuck kept gone away missing open shut hidden asleep awake alive apart abroad offline")
_TIME_UNITS = _words(
    "second seconds minute minutes hour hours day days night nights week weeks fortnight fortnights month months "
    "year years decade decades century centuries millennium millennia generation generations"
)
_UNIT_CLASSES: dict[str, frozenset[str]] = {
    "percent": _words("% percent per-cent pct percentage percentages"),
    "length": _words(
        "mm cm km metre metres meter meters kilometre kilometres kilometer kilometers millimetre millimetres "
        "millimeter millimeters centimetre centimetres centimeter centimeters mile miles ft feet foot inch inches "
        "yard yards light-years light-year nanometres nanometers micrometres micrometers au leagues nm"
    ),
    "area": _words("acre acres hectare hectares ha sq square km2 km² mi²"),
    "weight": _words(
        "kg mg ton tons tonne tonnes lb lbs ounce ounces oz kilogram kilograms gram grams milligram milligrams "
        "pound pounds"
    ),
    "volume": _words("litre litres liter liters ml gallon gallons barrel barrels bbl cubic cc"),
    "degree": _words("degrees degree kelvin celsius fahrenheit"),
    "speed": _words("mph kph knots knot"),
    "energy": _words(
        "watt watts kw mw gw kwh mwh gwh horsepower hp volt volts calorie calories joule joules megawatts kilowatts "
        "gigawatts megawatt kilowatt gigawatt rpm psi gbit mbit gbps mbps"
    ),
    "time": _TIME_UNITS,
    "money": _words(
        "dollar dollars euro euros yuan yen rupee rupees ruble rubles rouble roubles franc francs peso pesos lira "
        "lire krona kronor krone kroner shekel shekels dinar dinars riyal riyals guilder guilders livre livres "
        "ducat ducats tael taels usd eur gbp cny jpy sterling pence"
    ),
}
_UNIT_CLASS_OF = {unit: cls for cls, units in _UNIT_CLASSES.items() for unit in units}
# "pound(s)" is a weight or money: money when the question asks for money.
_UNIT_CLASS_OF["pound"] = _UNIT_CLASS_OF["pounds"] = "weight"
# Which measurement a number question asks for, from the words right after "how"/"what".
_QUESTION_UNIT_CUES: tuple[tuple[str, frozenset[str]], ...] = (
    ("percent", _words("percentage percent proportion share fraction")),
    ("length", _words("far long tall high wide deep distance length height elevation altitude width depth thick")),
    ("area", _words("area")),
    ("weight", _words("heavy weight weigh weighs mass")),
    ("speed", _words("fast speed")),
    ("degree", _words("hot cold warm temperature angle degree degrees")),
)
_CURRENCY_BEFORE = re.compile(r"(?:US\$|A\$|C\$|HK\$|NZ\$|\$|£|€|¥|₹|₽|\b(?:USD|EUR|GBP|CNY|JPY|Rs\.?))\s?$")

_NUMBER_WORDS = _words(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "billion trillion dozen"
)
_SCALES = _words("hundred thousand million billion trillion bn mn k")
_VAGUE = _words("dozens hundreds thousands millions billions scores several")
_QUALIFIERS_1 = _words(
    "about around approximately roughly nearly almost over some estimated exactly only just under nearly "
    "circa approx"
)
_QUALIFIERS_2 = frozenset(
    tuple(p.split()) for p in (
        "more than", "less than", "fewer than", "at least", "at most", "up to", "as many", "as much", "as few",
        "just over", "just under", "well over", "close to", "upwards of", "a total", "an estimated", "some of",
    )
)
_ORDINAL_SUFFIXES = _words("st nd rd th")
_RANGE_WORDS = _words("to and or")

_MONTHS = _words(
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
)
_WEEKDAYS = _words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mondays Tuesdays Wednesdays "
                   "Thursdays Fridays Saturdays Sundays")
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|" \
         r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b\.?"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)s?\b"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\b"
_YEAR = r"(?:1\d{3}|20\d\d)\b(?:\s?(?:AD|BC|BCE|CE))?"
_YEAR_RANGE = rf"{_YEAR}(?:\s*(?:-|–|—|/)\s*(?:{_YEAR}|\d\d\b))?"
_ORDINAL = (
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|"
    r"fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty-first|\d{1,2}(?:st|nd|rd|th))"
)
_SEASON = r"(?:spring|summer|autumn|fall|winter)"
# Dates named by a month or weekday; labels grade them in `_date_candidates`.
_CALENDAR_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"\b{_WEEKDAY}(?:,?\s+(?:{_MONTH}\s+{_DAY}|{_DAY}\s+(?:of\s+)?{_MONTH})(?:,?\s+{_YEAR})?)?"),
     "full"),
    (re.compile(rf"\b{_MONTH}\s+{_DAY}(?:\s*(?:-|–|and|to)\s*{_DAY})?(?:,?\s+{_YEAR})?"), "full"),
    (re.compile(rf"\b{_DAY}(?:\s*(?:-|–|and|to)\s*{_DAY})?\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?"), "full"),
    (re.compile(rf"\b{_MONTH}(?:\s+of)?,?\s+{_YEAR_RANGE}"), "month_year"),
    (re.compile(rf"\b{_MONTH}"), "month"),
)
_SEASON_YEAR = re.compile(rf"\b(?:(?:early|late|mid-?)\s*)?{_SEASON}(?:\s+of)?\s+{_YEAR_RANGE}", re.I)
_NUMERIC_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b")
_CENTURY = re.compile(
    rf"\b(?:(?:early|late|mid-?)[\s-]*)?{_ORDINAL}(?:\s*(?:and|or|to|-|–)\s*(?:the\s+)?{_ORDINAL})?[\s-]+"
    r"centur(?:y|ies)\b(?:\s?(?:AD|BC|BCE|CE))?",
    re.I,
)
_DECADE = re.compile(r"\b(?:(?:early|late|mid-?)[\s-]*)?(?:1\d|20)?\d0['’]?s\b")
_RELATIVE = re.compile(
    r"\b(?:yesterday|today|tonight|this (?:morning|afternoon|evening|week)|last night)\b(?!['’]s)"
    rf"|\b(?:last|next|earlier this|later this|the previous|the following)\s+(?:week|month|year|weekend|{_SEASON})\b",
    re.I,
)
_CLOCK = re.compile(
    r"\b(?:[01]?\d|2[0-3])(?::[0-5]\d)?\s?(?:a\.m\.|p\.m\.|am\b|pm\b)|\b(?:[01]?\d|2[0-3]):[0-5]\d\b"
    r"|\b(?:noon|midnight|dawn|dusk)\b|\b(?:at night|in the (?:morning|afternoon|evening))\b",
    re.I,
)
_CLOCK_CUES = _words("am pm a.m p.m noon midnight dawn dusk night morning afternoon evening")
# The date label that fully answers "what year/century/..." ("" = "when").
_DATE_WANTS = {
    "year": ("year", "full", "month_year"),
    "century": ("century",),
    "decade": ("decade",),
    "month": ("month", "month_year", "full"),
    "day": ("full",),
    "date": ("full", "month_year"),
    "time": ("clock", "full"),
    "": ("full", "month_year"),
}

_AGE_NUMBER = (
    r"(?:\d{1,3}|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-(?:one|two|three|four|five|six|"
    r"seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen)"
)
_AGE_RANGE = rf"{_AGE_NUMBER}(?:\s*(?:-|–|to|and|or)\s*{_AGE_NUMBER})?"
_AGE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"\bage[sd]?\s+(?:of\s+)?(?:between\s+)?(?P<a>{_AGE_RANGE})\b", re.I),
    re.compile(rf"\bat\s+the\s+age\s+of\s+(?P<a>{_AGE_NUMBER})\b", re.I),
    re.compile(rf"(?<![\w.,])(?P<a>{_AGE_RANGE})[\s-]+years?[\s-]+old\b", re.I),
    re.compile(rf"(?<![\w.,])(?P<a>{_AGE_RANGE})\s+years?\s+of\s+age\b", re.I),
    re.compile(rf"(?<![\w.,])(?P<a>{_AGE_NUMBER})-(?:year|month)-olds?\b", re.I),
    re.compile(r"\bin\s+(?:his|her|their)\s+(?P<a>(?:early\s+|mid-?|late\s+)?(?:teens|twenties|thirties|forties|"
               r"fifties|sixties|seventies|eighties|nineties|[2-9]0s))\b", re.I),
    re.compile(rf"\b(?:died|dies|retired|married|elected|graduated)\s+at\s+(?P<a>{_AGE_NUMBER})\b", re.I),
)
# News style: "Ana Ruiz, 58, said ..."
_AGE_APPOSITION = re.compile(r"\b[A-Z][\w'’-]+,\s+(?P<a>\d{1,3}),\s")
_AGE_CUES = _words(
    "age aged ages old olds died dies retired married elected graduated teens twenties thirties forties fifties "
    "sixties seventies eighties nineties"
)
_BORN = re.compile(rf"\bborn\b[^.;]{{0,40}}?(?P<a>{_YEAR})", re.I)

# --- names ----------------------------------------------------------------------------------
# Numbers first (so "12,000" and "4.5" are one token), then words with inner apostrophes/hyphens.
_TOKEN = re.compile(r"\d+(?:[,.]\d+)*|(?:[A-Za-z]\.){2,}|[^\W\d_]\w*(?:['’\-]\w+)*")
_CONNECTORS = _words("of the de da di del della van von der den al el bin ibn la le du y")
_PERSON_TITLES = _words(
    "President Vice Prime Minister Chancellor King Queen Prince Princess Emperor Empress Pope Saint St Sir Lord "
    "Lady Duke Duchess Count Countess Earl Baron Bishop Archbishop Cardinal Father Rev Reverend Dr Mr Mrs Ms Miss "
    "Prof Professor General Gen Colonel Col Captain Capt Admiral Adm Sergeant Sgt Lieutenant Lt Major Governor "
    "Gov Senator Sen Rep Representative Mayor Judge Justice Chairman Chairwoman Secretary Ambassador Commander "
    "Marshal Chief Deputy Speaker Premier Sultan Khan Tsar Czar Shah Emir Sheikh Caliph Rabbi Imam Ayatollah "
    "Dame Pharaoh Consul Apostle Prophet Doctor Detective Inspector Constable Landgrave Elector Margrave Abbot "
    "Viscount Marquis Marquess Emir Khagan"
)
# Titles kept in the answer ("King Ethelred II", "Queen Elizabeth II"); others are dropped ("Mr").
_NOBLE_TITLES = _words(
    "King Queen Prince Princess Emperor Empress Pope Saint St Sir Lord Lady Duke Duchess Count Countess Earl "
    "Baron Sultan Khan Tsar Czar Shah Emir Sheikh Caliph Pharaoh Dame Landgrave Elector Margrave Viscount Marquis "
    "Marquess Khagan"
)
_ROLE_NOUNS = _words(
    "president minister official leader spokesman spokeswoman spokesperson chief commander founder inventor author "
    "scientist engineer son daughter wife husband brother sister father mother king queen emperor ruler successor "
    "predecessor general director chairman ceo executive head secretary governor senator mayor judge lawyer "
    "attorney prosecutor officer analyst professor researcher economist historian teacher reporter journalist "
    "writer poet painter composer architect philosopher physicist chemist mathematician theologian reformer "
    "missionary priest bishop pastor pope prince princess duke heir nephew niece uncle cousin friend colleague "
    "advisor adviser aide deputy ambassador envoy diplomat candidate rival opponent coach player manager owner "
    "partner banker designer creator discoverer pupil disciple follower biographer monarch sultan chancellor "
    "premier actor actress singer abbot abbots noble nobleman scholar student biologist physician explorer "
    "conductor host novelist landgrave fiancee fiancée leaders officials scientists physicists chemists scholars"
)
_SPEECH_AFTER = _words(
    "said says told stated added argued claimed wrote announced explained noted insisted warned asked replied "
    "admitted confirmed denied believed thought proposed suggested recalled who whose himself herself"
)
_SPEECH_BEFORE = _words("said says told added wrote asked replied insisted")
_ORG_MARKERS = _words(
    "Inc Corp Corporation Company Co Ltd LLC PLC AG GmbH Group Agency Ministry Department Party Council Committee "
    "Commission Army Navy Force Forces Corps University College School Institute Institution Academy Society "
    "Association Foundation Church Bank Union League Federation Court Parliament Congress Senate Assembly Office "
    "Bureau Service Services Police Guard Times Post News Press Network Club FC Team Board Authority Organisation "
    "Organization Alliance Front Movement Brigade Battalion Division Regiment Airlines Airways Motors Systems "
    "Technologies Labs Laboratories Industries Holdings Trust Fund Museum Museums Library Hospital Cabinet "
    "Government Administration Tribunal Order Brotherhood Fleet Legion Conference Convention Consortium "
    "Cooperative Partners Associates Enterprises Entertainment Records Studios Pictures Broadcasting Radio "
    "Television Journal Magazine Gazette Herald Tribune Telegraph Guardian Observer Chronicle Railway Railways "
    "Diet Duma Synod Directorate Secretariat Inquisition Companies Command Communications Executive Mail Review"
)
_PLACE_MARKERS = _words(
    "River Sea Ocean Lake Mountain Mountains Mount Mt Island Islands Isle Isles Peninsula Bay Gulf Coast Valley "
    "Desert Forest Plain Plains Strait Straits Canal Channel City County Province Prefecture State States Republic "
    "Kingdom Region Territory Territories District Street Avenue Road Square Park Bridge Airport Port Harbor "
    "Harbour Colony Basin Highlands Lowlands Heights Hills Hill Falls Cape Delta Sound Archipelago Oblast Borough "
    "Township Village Town Land Lands Fort Glacier Reef Plateau Steppe Yard Neck Point Electorate Duchy Palatinate"
)
_PLACE_FIRST = _words("North South East West Northern Southern Eastern Western Central New Upper Lower Greater "
                      "Mount Lake Fort San Santa Saint St Cape")
_PLACE_BEFORE = _words(
    "in at from near across into throughout outside inside towards toward around off along via within through "
    "entered invaded occupied conquered visited settled fled emigrated located based headquartered arrived annexed "
    "northern southern eastern western central northeast northwest southeast southwest northeastern northwestern "
    "southeastern southwestern"
)
_PLACE_NOUNS_BEFORE = _words(
    "river city town village island region province county state country port colony district mountain lake sea "
    "capital kingdom republic territory islands town area suburb community neighborhood neighbourhood municipality "
    "hamlet settlement"
)
# "the coast of Yemen", "the outskirts of Kyiv"
_PLACE_PARTS = _words("coast coasts shore shores border borders outskirts banks edge heart centre center north south "
                      "east west part parts suburbs interior mouth")
# Common words capitalised only because they open the sentence (or a quote/clause).
_OPENERS = _words(
    "the a an in on at of for to from by with and or but if as after before during while when where which who "
    "what why how this that these those there here it its he she they we you i his her their our my your however "
    "although though despite since because also yet still then thus therefore meanwhile moreover furthermore "
    "further nevertheless instead today yesterday tomorrow according unlike like both each every many most some "
    "several few all no not one two three four five six seven eight nine ten first second third last next other "
    "another such only even just about around over under between among within without against toward towards "
    "upon into onto through throughout until unless whether once so nor either neither any much more less than "
    "whose whom following later earlier initially finally eventually soon now currently recently previously "
    "originally additionally indeed perhaps similarly likewise consequently hence accordingly notably "
    "unfortunately fortunately officials police witnesses residents critics analysts experts scientists "
    "researchers authorities troops soldiers entry students members other others let say let's similarly "
    "consider let people most others one this these those"
)
_NEVER_NAMES = _MONTHS | _WEEKDAYS | _words("I")
_DEMONYM = re.compile(r"(?:ese|ish|ian|ians|ean|ic|an|ans|i|ch|ot|ac|ine|ese|ite|ites|ist|ists|al|ern)$")
_DEMONYM_PEOPLE = re.compile(r"(?:ese|ish|ians|ans|ian|ean|ites|ists)$")
_VERB_LIKE = re.compile(r"(?:ed|ing)$")
_ACRONYM_PLACES = _words("US USA UK UAE USSR U.S. U.K. U.S.A. DRC PRC ROK DPRK")

_COUNT_SKIP = _words("more different other total new additional separate individual distinct major main known such "
                     "of the a an")
_IRREGULAR_PLURALS = _words(
    "people men women children police personnel staff cattle sheep deer fish aircraft teeth mice geese crew data "
    "media criteria phenomena clergy offspring livestock poultry infantry cavalry artillery militia youth"
)
_COUNT_SYNONYMS: tuple[frozenset[str], ...] = (
    _words("home homes house houses dwelling dwellings residence residences building buildings property "
           "properties structure structures household households apartment apartments"),
    _words("people person persons individual individuals resident residents civilian civilians inhabitant "
           "inhabitants citizen citizens victim victims population populations"),
    _words("soldier soldiers troop troops servicemen serviceman personnel fighter fighters militant militants"),
    _words("death deaths dead fatality fatalities killed died casualty casualties"),
    _words("child children kid kids minor minors"),
    _words("time times occasion occasions"),
    _words("member members seat seats"),
    _words("vehicle vehicles car cars truck trucks tank tanks"),
    _words("ship ships vessel vessels boat boats"),
    _words("plane planes aircraft jet jets"),
    _words("injury injuries injured hurt wounded wound wounds"),
)
_PLURAL_NOT = ("ss", "us", "is", "ics", "ous")

# --- absence --------------------------------------------------------------------------------
# Verbs that are about telling by themselves ("did not disclose"), and verbs that are only when
# an informational object follows ("did not give a figure", not "did not give up").
_TELL = (
    r"(?:disclose|say|specify|reveal|confirm|comment|elaborate|divulge|identify|estimate|quantify|know|"
    r"clarify|speculate)"
)
_GIVE = r"(?:give|provide|offer|explain|name|publish|detail|announce|indicate|share|release|report|state|respond)"
_INFORMATION = (
    r"(?:\W+\w+){0,4}?\W+(?:how|when|where|who|whom|whether|why|what|which|details?|figures?|numbers?|"
    r"information|estimates?|reasons?|explanation|names?|identit\w*|comment|date|timeline|timetable|specifics|"
    r"data|casualt\w*|toll|breakdown|total)\b"
)
_NOT = r"(?:(?:did|does|do|has|have|had|would|will|could|can|was|were|is|are)(?:\s+not|n['’]t)|never|cannot|can['’]t)"
_ADVERBS = r"(?:immediately\s+|yet\s+|publicly\s+|officially\s+|independently\s+|previously\s+|specifically\s+)*"
_ABSENCE_RE = re.compile(
    rf"\b{_NOT}\s+{_ADVERBS}(?:been\s+)?{_TELL}"
    rf"|\b{_NOT}\s+{_ADVERBS}{_GIVE}{_INFORMATION}"
    rf"|\b(?:declined|refused|declining|refusing|failed|unable|not able)\s+to\s+(?:{_TELL}|{_GIVE}{_INFORMATION})"
    r"|\b(?:is|was|remains|remained|are|were|has been|it)\s+(?:still\s+)?"
    r"(?:not\s+(?:yet\s+|immediately\s+|entirely\s+)?(?:known|clear|certain|confirmed|disclosed|public)"
    r"(?!\s+(?:to|as|for|by|until)\b)"
    r"|unclear|unknown|uncertain|undisclosed|unconfirmed)"
    r"|\b(?:no|without)\s+(?:official\s+|further\s+|precise\s+|exact\s+)?(?:figures?|details?|numbers?|information|"
    r"estimates?|timeline|timetable|date|explanation|reason|casualty figures|death toll|names?|comment|data)\s+"
    r"(?:was|were|has|have|had|is|are)\s+(?:been\s+|yet\s+|immediately\s+)*(?:given|provided|released|disclosed|"
    r"available|published|announced|offered|made public)"
    r"|\b(?:could|can)\s*(?:not|n['’]t)\s+(?:be\s+)?(?:independently\s+)?(?:confirmed|verified|determined)"
    r"|\bno\s+one\s+(?:knows|knew)|\bnobody\s+(?:knows|knew)|\bunclear\s+(?:how|when|where|who|whether|what|why|if)"
    r"|\bnot\s+(?:been\s+)?(?:disclosed|made public|revealed|specified|identified)\b(?!\s+(?:as|until|by)\b)",
    re.I,
)
_ABSENCE_TRIGGERS = _words(
    "not no never cannot nobody unclear unknown uncertain undisclosed unconfirmed declined refused declining "
    "refusing failed unable"
)
# The asked detail opens the words after an absence, within a few words ("did not say exactly how many").
_DETAIL_AHEAD = r"^\W*(?:\w+\W+){0,6}?"
_ABSENCE_DETAIL: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(_DETAIL_AHEAD + r"(?:how long|duration)", re.I), "duration"),
    (re.compile(_DETAIL_AHEAD + r"(?:how much (?:money|it|they|he|she|the)\b.{0,30}(?:cost|paid|pay|spen)"
                r"|cost|price|sum\b|value|paid|spent|funding)", re.I), "money"),
    (re.compile(_DETAIL_AHEAD + r"(?:how many|how much|the number|numbers?\b|figures?\b|(?:death )?toll|"
                r"count\b|total\b|tally|casualt|size\b|scale\b|strength\b|amount\b)", re.I), "number"),
    (re.compile(_DETAIL_AHEAD + r"(?:when\b|date\b|timing|timeline|timetable|time\b)", re.I), "date"),
    (re.compile(_DETAIL_AHEAD + r"(?:where\b|location|whereabouts)", re.I), "place"),
    (re.compile(_DETAIL_AHEAD + r"(?:who\b|whom\b|whose\b|identit|names?\b|identify|name\b)", re.I), "person"),
    (re.compile(_DETAIL_AHEAD + r"(?:whether|if\b)", re.I), "yesno"),
)
_ABSENCE_SUBJECT = re.compile(
    r"\b(number|figures?|toll|count|total|tally|cost|price|date|timing|location|whereabouts|identity|identities|"
    r"names?)\b", re.I)
_ABSENCE_SUBJECT_KIND = {
    "numb": "number", "figu": "number", "toll": "number", "coun": "number", "tota": "number", "tall": "number",
    "cost": "money", "pric": "money", "date": "date", "timi": "date", "loca": "place", "wher": "place",
    "iden": "person", "name": "person",
}
# Which asked kinds an absence about each detail answers.
_ABSENCE_ANSWERS = {
    "number": frozenset({"number", "money", "age", "duration"}),  # "how much", "the total": any amount
    "money": frozenset({"money", "number"}),
    "date": frozenset({"date", "duration"}),
    "duration": frozenset({"duration", "date", "number"}),
    "place": frozenset({"place"}),
    "person": frozenset({"person", "organization"}),
    "yesno": frozenset({"yesno"}),
}

# ============================================================================================
# The question
# ============================================================================================

# Type nouns after "what/which" (or in "what is the X of"); the last one of the phrase counts
# ("What Italian city" -> city).
_TYPE_NOUNS: tuple[tuple[str, frozenset[str]], ...] = (
    ("age", _words("age ages")),
    ("money", _words("price prices cost costs fee fees salary salaries wage wages budget fine sum revenue profit "
                     "income ransom valuation endowment")),
    ("duration", _words("duration")),
    ("date", _words("year years date dates day days month months century centuries decade decades time era "
                    "season weekday")),
    ("number", _words("percentage percent proportion share number fraction ratio population amount total count "
                      "quantity height length distance width depth weight speed temperature elevation altitude "
                      "capacity size rate angle enrollment enrolment attendance")),
    ("person", _words(
        "person persons man woman men women official officials leader leaders president presidents king kings "
        "queen queens emperor emperors empress pope general scientist scientists author authors writer writers "
        "poet artist composer architect philosopher ruler rulers minister ministers chancellor governor senator "
        "mayor politician politicians actor actress singer player coach founder founders inventor explorer monarch "
        "monarchs prince princess duke bishop saint sultan khan chief spokesman spokesperson journalist director "
        "ceo chairman judge lawyer individual individuals physicist chemist mathematician economist historian "
        "engineer theologian reformer commander admiral officer professor teacher priest pastor missionary "
        "successor predecessor son daughter father mother wife husband brother sister heir alumnus alumni "
        "nobleman noble pharaoh dictator tsar czar shah caliph prophet apostle student students scholar scholars "
        "partner conductor host secretary signer abbot abbots count earl emperor's")),
    ("place", _words(
        "country countries city cities region regions town towns state states province provinces county village "
        "continent island islands place places location locations nation nations capital territory territories "
        "district neighborhood neighbourhood street river rivers mountain mountains sea ocean lake port colony "
        "colonies kingdom peninsula valley coast suburb borough municipality prefecture")),
    ("organization", _words(
        "company companies group groups agency agencies organization organizations organisation organisations "
        "party parties team teams club clubs university universities school schools college colleges institution "
        "institutions firm firms corporation corporations newspaper newspapers bank banks band league union "
        "council committee ministry department body church government court army navy militia airline publisher "
        "broadcaster")),
)
_TYPE_NOUN_KIND = {noun: kind for kind, nouns in _TYPE_NOUNS for noun in nouns}
_TYPE_NOUNS_OF_PERSON = frozenset(noun for noun, kind in _TYPE_NOUN_KIND.items() if kind == "person")
_NOT_PERSON_ENDINGS = _words("list exist assist consist insist resist persist twist wrist mist fist gist")
_PHRASE_STOP = AUXILIARIES | _words(
    "of in on at by for to from with that who which whose when where as and or the a an than"
)
_OPEN_TYPE_NOUNS = _words("name names")
# People a news story names who are no type noun of their own: "Which soldiers ...?" is often
# answered by a description ("two North Korean soldiers"), but "the names of the soldiers" by
# names. With _ROLE_NOUNS (and their plurals), the nouns whose *names* are people's names.
_PEOPLE_NOUNS = _words(
    "soldier soldiers troops victim victims prisoner prisoners hostage hostages suspect suspects pilot pilots "
    "driver drivers passenger passengers patient patients doctor doctors nurse nurses worker workers employee "
    "employees resident residents child children boy boys girl girls witness witnesses survivor survivors "
    "fighter fighters firefighter firefighters athlete athletes people persons crew sailors sailor climbers "
    "climber defendant defendants plaintiff plaintiffs detainee detainees attacker attackers gunman gunmen "
    "shooter killer parents couple winners winner members member captives captive"
)
_PLURAL_CUES = _words("two three four five both")
_COPULAS = _words("is are was were")
_COMMON_VERBS = _words(
    "went led won made took gave built wrote became began came fought held kept left lost met paid ran said sent "
    "set sold spent stood told brought bought caught taught thought found rose fell grew drew knew threw flew chose "
    "spoke broke drove rode saw beat shut struck hid sat lay get give make take build write become begin come "
    "fight hold keep lead win lose meet pay run say send sell spend stand tell bring buy find rise grow know own "
    "control rule sign signed play use live die")
_HEAD_FOLLOWERS = _words("of in on at for that who which whose to")

_QUESTION_WORDS = QUESTION_WORDS | _words("name many much old long")


@dataclass(frozen=True, slots=True)
class _Question:
    """Everything about a question that sentence scoring needs, parsed once."""

    kind: str | None
    # The kind of the wh-detail inside a yes/no question ("Did X say how many ...").
    embedded: str | None
    count_stems: frozenset[str]
    unit_class: str | None
    date_want: str
    content_stems: frozenset[str]
    # Lower-cased words of the question: a name the question already uses is not an answer.
    words: frozenset[str]
    # The stem of the type noun ("river" in "What river ..."): a name ending in it, or next to
    # it ("the river Seine"), is the one asked for.
    type_noun: str
    # The question asks for several ("Which countries", "What two scientists"): keep lists whole.
    plural: bool
    # Stems of near synonyms of the question's words (died ~ casualties, soldiers ~ troops).
    related_stems: frozenset[str]


def _normalise(question: str) -> str:
    question = " ".join(question.replace("’", "'").split())
    return _LEAD.sub("", question)


def _people_noun(word: str) -> bool:
    """A noun for people whose names are asked by "the name(s) of the <noun>" ("soldiers", "mayor")."""
    return word in _PEOPLE_NOUNS or word in _ROLE_NOUNS or (word.endswith("s") and word[:-1] in _ROLE_NOUNS)


def _type_noun_kind(word: str) -> str | None:
    kind = _TYPE_NOUN_KIND.get(word)
    if kind is None and len(word) > 5 and word not in _NOT_PERSON_ENDINGS and word.endswith(("ist", "ists")):
        return "person"  # physicist, novelist, chemists
    return kind


def _classify_from(words: list[str], i: int) -> tuple[str | None, str]:
    """The kind asked by the wh-word at words[i] (lower-cased words of the question), and the
    type noun that says so ("river" in "What river ..."), if any."""
    wh = words[i]
    rest = words[i + 1 :]
    if wh in ("who", "whom", "whose"):
        return "person", ""
    if wh == "when":
        return "date", ""
    if wh == "where":
        return "place", ""
    if wh == "whether":
        return "yesno", ""
    if wh == "why":
        return None, ""
    if wh == "how":
        return _classify_how(rest), ""
    return _classify_what(words, rest)


def _verb_or_adverb(word: str) -> bool:
    return word.endswith(("ed", "ly", "s")) or word in _COMMON_VERBS


def _classify_how(rest: list[str]) -> str | None:
    nxt = rest[0] if rest else ""
    if nxt == "old":
        return "age"
    if nxt == "much":
        return "money" if set(rest[1:]) & (_MONEY_VERBS | _MONEY_NOUNS) else "number"
    if nxt == "long":
        after = rest[1] if len(rest) > 1 else ""
        if set(rest[1:]) & (_DURATION_CUES | _TIME_UNITS):
            return "duration"
        if after in AUXILIARIES and after not in ("is", "are", "was", "were"):
            return "duration"
        if after == "after" or rest[-1:] == ["for"]:
            return "duration"  # "How long after the quake ...?", "How long was it opened for?"
        clause = list(itertools.takewhile(lambda w: w not in _CLAUSE_OPENERS, rest[2:]))
        if any((w.endswith("ed") and len(w) > 4) or w in _STATES for w in clause):
            return "duration"  # "How long was the funeral delayed?", not "... the fault where it occurred?"
        return "number"
    if nxt in ("many", "far", "big", "large", "tall", "high", "wide", "deep", "heavy", "fast", "hot", "cold",
               "small", "few", "short", "thick", "close", "warm", "fewer"):
        return "number"
    return None


def _classify_what(words: list[str], rest: list[str]) -> tuple[str | None, str]:
    """"what/which" + a type noun ("Which European country", "What was the population of")."""
    phrase: list[str] = []
    named = False  # "What is the name of ...": the noun after "of" is the asked one
    j = 0
    while j < len(rest) and rest[j] not in _PHRASE_STOP and len(phrase) < 4:
        phrase.append(rest[j])
        j += 1
    if not phrase and j < len(rest) and rest[j] in _COPULAS:
        # "What is the capital of France", "What was the name of the king"
        k = j + 1
        if k < len(rest) and rest[k] in ("the", "a", "an", "its", "his", "her", "their"):
            k += 1
        head: list[str] = []
        while k < len(rest) and rest[k] not in _PHRASE_STOP and len(head) < 4:
            head.append(rest[k])
            k += 1
        named = bool(head) and head[-1] in _OPEN_TYPE_NOUNS and k < len(rest) and rest[k] == "of"
        if named:
            k += 1
            if k < len(rest) and rest[k] in ("the", "a", "an", "this", "that", "its", "his", "her", "their"):
                k += 1
            head = []
            while k < len(rest) and rest[k] not in _PHRASE_STOP and len(head) < 4:
                head.append(rest[k])
                k += 1
        # Only the head noun, and only when nothing else follows it: "What is the population of",
        # not "What are the top students honored with".
        phrase = head[-1:] if k >= len(rest) or rest[k] in _HEAD_FOLLOWERS else []
    elif phrase and len(phrase) > 1 and phrase[-1] in ("state", "states"):
        phrase = phrase[:-1]  # "What articles state that ..."
    bare = [w.removesuffix("'s") for w in phrase]
    typed = [(i, kind, w) for i, (kind, w) in enumerate((_type_noun_kind(w), w) for w in bare) if kind]
    if not typed:
        if named and bare and _people_noun(bare[-1]):
            return "person", bare[-1]  # "What are the names of the captured soldiers?"
        return None, ""
    position, kind, noun = typed[-1]
    if position + 1 < len(bare) and not _verb_or_adverb(bare[position + 1]):
        return None, ""  # a modifier: "What Catholic Church liturgical belief ..."
    if kind == "number" and phrase[-1] in ("amount", "size", "total", "sum") and set(words) & _MONEY_NOUNS:
        return "money", noun
    return kind, noun


@functools.lru_cache(maxsize=4096)
def _parse(question: str) -> _Question:
    text = _normalise(question)
    words = [w.lower() for w in _QUESTION_WORD.findall(text)]
    kind: str | None = None
    embedded: str | None = None
    noun = ""
    if words and words[0] in AUXILIARIES:
        kind = "yesno"
        wh = next((i for i in range(1, len(words)) if words[i] in WH_WORDS), None)
        if wh is not None:
            embedded, noun = _classify_from(words, wh)
    elif words and words[0] in _IMPERATIVE:
        rest = [w for w in words[1:] if w not in ("a", "an", "one", "two", "three", "the", "some", "any", "of")]
        kind, noun = next(((k, w) for k, w in ((_type_noun_kind(w), w) for w in rest[:2]) if k), (None, ""))
        if kind is None and words[0] == "name":
            # "Name the captured soldiers": names of people, although a "which soldiers"
            # question may be answered by a description ("two North Korean soldiers")
            noun = next((w for w in rest[:2] if _people_noun(w)), "")
            kind = "person" if noun else None
    else:
        kind, noun = _classify_from_first_wh(text, words)
    count = count_noun(question)
    if count is None and kind == "number" and noun == "population":
        count = noun  # "What is the population of X?" counts people: "4,000 firefighters" is no answer
    count_stems: set[str] = set(_stems_of(count) + _synonym_stems(count)) if count else set()
    related = {stem for word in words for stem in _synonym_stems(word)}
    unit_class: str | None = None
    if kind == "money":
        unit_class = "money"
    elif kind == "duration":
        unit_class = "time"
    elif kind in ("number", "yesno"):
        if count and count in _UNIT_CLASS_OF:
            unit_class = _UNIT_CLASS_OF[count]
            before = words[words.index(count) - 1] if words.index(count) > 0 else ""
            unit_class = {"cubic": "volume", "square": "area"}.get(before, unit_class)
        else:
            cues = _words_after_wh(words)
            unit_class = next((cls for cls, words_ in _QUESTION_UNIT_CUES if cues & words_), None)
    date_want = ""
    if kind == "date":
        match = re.search(r"\b(?:what|which)\s+(?:\w+\s+)?(year|century|decade|month|day|date|time)s?\b", text, re.I)
        date_want = match.group(1).lower() if match else ""
    content = frozenset(s for s in tokenize_one(text) if s not in _question_stems())
    return _Question(kind, embedded, frozenset(count_stems), unit_class, date_want, content, frozenset(words),
                     _stem1(noun) if noun else "", _plural_like(noun) or bool(set(words) & _PLURAL_CUES),
                     frozenset(related))


@functools.cache
def _synonym_stems(word: str) -> tuple[str, ...]:
    """Stems of the words sharing a near-synonym group with `word` (homes ~ houses)."""
    return tuple(stem for group in _COUNT_SYNONYMS if word in group for other in group for stem in _stems_of(other))


def _classify_from_first_wh(text: str, words: list[str]) -> tuple[str | None, str]:
    """The wh-word that asks: the first, unless it opens a subordinate clause ("When B cells
    begin to replicate, what do ...", "Where X was, which ...")."""
    positions = [i for i, w in enumerate(words) if w in WH_WORDS]
    if not positions:
        return None, ""
    first = positions[0]
    if first == 0 and _described(text) is not None:
        return None, ""
    if words[first] in ("when", "where", "if") and first == 0 and "," in text and len(positions) > 1:
        after_comma = text.split(",", 1)[1]
        later = [w.lower() for w in _QUESTION_WORD.findall(after_comma)]
        for i, word in enumerate(later):
            if word in WH_WORDS:
                return _classify_from(later, i)
    return _classify_from(words, first)


def described_name(question: str) -> str | None:
    """The name a "Who is ...?" question asks to describe: "Who is Mick Ryan?" -> "Mick Ryan",
    "Who were the Semuren?" -> "Semuren". The answer is what the articles say of them (a retired
    general, allied groups from Central Asia), not a name, which the question already gives; so
    the question expects no answer type. None for other questions, "Who is the President?" (a
    role: it asks for a name) and "Who is he?"."""
    return _described(_normalise(question))


def _described(text: str) -> str | None:
    """`described_name` of a question already normalised (`_normalise`)."""
    match = _WHO_IS_NAME.match(text)
    if match is None:
        return None
    name = " ".join(match.group("name").split())
    return None if name.split()[-1].lower() in _ROLE_NOUNS | _TYPE_NOUNS_OF_PERSON else name


def introduces(sentence: str, name: str) -> bool:
    """The sentence says who `name` is: a role just before the name ("Kremlin spokesperson Dmitry
    Peskov", "Northland's prime minister, Ruth Almqvist"), or a description right after it
    ("Mick Ryan, a retired Australian major general", "Kim Jong Un, North Korea's leader,",
    "Warsz was a 12th-century nobleman")."""
    at = sentence.lower().find(name.lower())
    if at < 0:
        return False
    before = [w.lower() for w in _TOKEN.findall(sentence[:at])][-4:]
    if any(_stem1(w) in _role_stems() for w in before):
        return True
    after = sentence[at + len(name) :]
    if re.match(r"\s*(?:,\s*(?:a|an|the)\b|(?:is|was|are|were)\s+(?:a|an|the)\b)", after, re.I):
        return True
    if re.match(r"\s*,", after):
        return any(_stem1(w.lower()) in _role_stems() for w in _TOKEN.findall(after)[:4])
    return False


@functools.cache
def _role_stems() -> frozenset[str]:
    return frozenset(_stem1(word) for word in _ROLE_NOUNS | _TYPE_NOUNS_OF_PERSON) - {""}


_WHO_IS_NAME = re.compile(r"^[Ww]ho\s+(?:is|was|are|were)\s+(?:the\s+)?(?P<name>(?:[A-Z][\w.-]*\s*)+)\?*\s*$")


def _words_after_wh(words: list[str]) -> set[str]:
    """The words right after "how"/"what" (where measurement cues sit: "how far", "what percentage")."""
    out: set[str] = set()
    for i, word in enumerate(words):
        if word in ("how", "what", "which"):
            out |= set(words[i + 1 : i + 3])
    return out


@functools.cache
def _question_stems() -> frozenset[str]:
    return frozenset(tokenize([" ".join(_QUESTION_WORDS)])[0]) | _QUESTION_WORDS


@functools.lru_cache(maxsize=65536)
def _stems_of(word: str) -> tuple[str, ...]:
    return tuple(tokenize_one(word))


def _stem1(word: str) -> str:
    stems = _stems_of(word)
    return stems[0] if stems else ""


def expected_answer_type(question: str) -> str | None:
    """The kind of answer the question's wording asks for (one of ANSWER_KINDS), or None for open
    questions ("what ...", "why ...", "how did ...") whose answer has no recognisable form.

    Order matters: "how old" is an age before it is a number, "how much money / did it cost" is
    money, "how long did" a duration; a question opening with an auxiliary ("Did ...", "Is ...")
    is yes/no even when a wh-word follows ("Did X say how many ...")."""
    return _parse(question).kind


def count_noun(question: str) -> str | None:
    """The (lower-cased) noun a "how many" / "number of" question counts: "How many homes were
    destroyed?" -> "homes". A number attached to another noun, or to a measurement unit
    ("12,000 acres"), does not answer it."""
    text = _normalise(question).lower()
    match = re.search(r"\bhow many\b|\b(?:the|what|total)\s+number\s+of\b", text)
    if not match:
        return None
    picked: str | None = None
    seen = 0
    for word in _QUESTION_WORD.findall(text[match.end() :]):
        if word in _COUNT_SKIP:
            continue
        if word in AUXILIARIES or word in WH_WORDS or word == "there":
            break
        seen += 1
        if word in _IRREGULAR_PLURALS or (len(word) > 3 and word.endswith("s") and not word.endswith(_PLURAL_NOT)):
            return word
        picked = picked or word
        if seen >= 3:
            break
    return picked


# ============================================================================================
# The sentence
# ============================================================================================


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    end: int
    strength: float
    bonus: float = 0.0  # ranks it above equals: the name that echoes the question's type noun


@dataclass(frozen=True, slots=True)
class _Quantity:
    start: int  # qualifier included ("about 12,000")
    num_start: int
    end: int  # range and scale word included ("20 and 26", "4.5 million")
    last: int  # token index of the last token of the quantity
    unit: str | None  # measurement class of the unit that follows, if any
    unit_end: int  # end of that unit word, else `end`
    year: bool  # a year or a day of a month: a date, not a count
    vague: bool  # "dozens", "several"
    noun_follows: bool  # a lower-case word that may be a noun follows directly
    attached: str = ""  # the noun of a compound ("ten-horsepower" -> "horsepower")


class _Sentence:
    """Word tokens of one sentence as parallel lists (words, offsets, lower case); stems,
    quantities and names are computed when first needed and kept."""

    __slots__ = ("text", "words", "starts", "ends", "lower", "lower_set", "has_digit", "calendar", "_stems",
                 "_quantities", "_names", "candidates")

    def __init__(self, text: str) -> None:
        self.text = text
        # findall + find is about a third faster than building match objects.
        self.words: list[str] = _TOKEN.findall(text)
        self.starts: list[int] = []
        self.ends: list[int] = []
        position = 0
        find = text.find
        for word in self.words:
            position = find(word, position)
            self.starts.append(position)
            position += len(word)
            self.ends.append(position)
        self.lower = [word.lower() for word in self.words]
        self.lower_set = frozenset(self.lower)
        self.has_digit = _DIGIT.search(text) is not None
        self.calendar = not _CALENDAR_WORDS.isdisjoint(self.words)
        self._stems: list[tuple[str, ...]] | None = None
        self._quantities: list[_Quantity] | None = None
        self._names: list[tuple[_Name, _NameCues]] | None = None
        # The candidates of the last (kind, question) asked: type_fit then answer_span share them.
        self.candidates: tuple[tuple[str, _Question], list[_Candidate]] | None = None

    def stems(self) -> list[tuple[str, ...]]:
        if self._stems is None:
            self._stems = [_stems_of(word) for word in self.lower]
        return self._stems

    def index_at(self, offset: int) -> int:
        """Index of the first token starting at or after `offset`."""
        return bisect.bisect_left(self.starts, offset)

    def gap(self, i: int) -> str:
        """The text between token i and token i + 1."""
        return self.text[self.ends[i] : self.starts[i + 1]]

    def quantities(self) -> list[_Quantity]:
        if self._quantities is None:
            maybe = (self.has_digit or not self.lower_set.isdisjoint(_WORDY_NUMBERS)
                     or any("-" in w and w.split("-", 1)[0] in _NUMBER_WORDS for w in self.lower))
            self._quantities = _find_quantities(self) if maybe else []
        return self._quantities

    def names(self) -> list[tuple[_Name, _NameCues]]:
        """The names with their (question-independent) cues."""
        if self._names is None:
            self._names = [(name, _name_cues(self, name)) for name in _find_names(self)]
        return self._names


_DIGIT = re.compile(r"\d")
_CALENDAR_WORDS = _MONTHS | _WEEKDAYS | _words("Jan. Feb. Mar. Apr. Jun. Jul. Aug. Sep. Sept. Oct. Nov. Dec.")
_WORDY_NUMBERS = _NUMBER_WORDS | _VAGUE | _words("few handful couple")


@functools.lru_cache(maxsize=2048)
def _sentence(text: str) -> _Sentence:
    """Parsed sentences are reused: the same candidates are scored by type_fit and answer_span."""
    return _Sentence(text)


def _is_number_token(sentence: _Sentence, i: int) -> bool:
    word = sentence.lower[i]
    if word[0].isdecimal():
        return True
    if word in _NUMBER_WORDS:
        return True
    return "-" in word and word.split("-", 1)[0] in _NUMBER_WORDS


def _plural_like(word: str) -> bool:
    return word in _IRREGULAR_PLURALS or (len(word) > 3 and word.endswith("s") and not word.endswith(_PLURAL_NOT))


def _find_quantities(sentence: _Sentence) -> list[_Quantity]:
    """Every number of the sentence with what it is: a count, a measurement, a year or a day."""
    lower = sentence.lower
    n = len(lower)
    out: list[_Quantity] = []
    i = 0
    while i < n:
        word = lower[i]
        vague = word in _VAGUE or (word in ("few", "handful", "couple") and i > 0 and lower[i - 1] == "a")
        if not vague and not _is_number_token(sentence, i):
            i += 1
            continue
        if word[0].isdecimal() and i + 1 < n and sentence.gap(i) == "" and (
                lower[i + 1] in _ORDINAL_SUFFIXES or sentence.words[i + 1] in ("G", "D")):
            i += 2  # "10th"; "5G phones" and "3D films" count nothing
            continue
        if (word in ("one", "a") and i + 1 < n and lower[i + 1] in ("of", "another")) or (
                word == "one" and i > 0 and lower[i - 1] == "no"):
            i += 1  # "one of the", "no one": a pronoun
            continue
        if "-" in word and not word[0].isdecimal() and not all(part in _NUMBER_WORDS for part in word.split("-")):
            out.append(_compound_quantity(sentence, i))
            i += 1
            continue
        first = i
        j = _extend_number(sentence, i)
        # A range: "20 and 26", "1115–1234", "three or four".
        if j + 2 < n and lower[j + 1] in _RANGE_WORDS and _is_number_token(sentence, j + 2) and not vague:
            j = _extend_number(sentence, j + 2)
        elif j + 1 < n and sentence.gap(j).strip() in ("-", "–", "—", "/") and lower[j + 1][0].isdecimal():
            j = _extend_number(sentence, j + 1)
        if vague and word in ("few", "handful", "couple"):
            first -= 1
        start = _qualifier_start(sentence, first)
        num_start, end = sentence.starts[first], sentence.ends[j]
        value = sentence.words[first]
        unit, unit_end = _unit_after(sentence, j, num_start)
        after = lower[j + 1] if j + 1 < n else ""
        noun_follows = bool(after) and after.isalpha() and after not in _FUNCTION_WORDS
        year = unit is None and _is_year(sentence, first, value, after)
        out.append(_Quantity(start, num_start, end, j, unit, unit_end, year, vague, noun_follows))
        i = j + 1
    return out


def _compound_quantity(sentence: _Sentence, i: int) -> _Quantity:
    """"ten-horsepower", "four-valve", "twenty-five-year": the number part, the noun attached."""
    parts = sentence.lower[i].split("-")
    k = 1
    while k < len(parts) and parts[k] in _NUMBER_WORDS:
        k += 1
    number = "-".join(parts[:k])
    attached = "-".join(parts[k:])
    start = sentence.starts[i]
    end = start + len(number)
    unit = _UNIT_CLASS_OF.get(attached) or _UNIT_CLASS_OF.get(attached + "s")
    unit_end = sentence.ends[i] if unit else end
    return _Quantity(_qualifier_start(sentence, i), start, end, i, unit, unit_end, False, False, True, attached)


def _extend_number(sentence: _Sentence, i: int) -> int:
    """The last token of the number starting at token i ("4.5 million", "two hundred and fifty")."""
    lower = sentence.lower
    n = len(lower)
    j = i
    while j + 1 < n:
        gap = sentence.gap(j)
        nxt = lower[j + 1]
        if gap in (" ", "") and (nxt in _SCALES or (nxt in _NUMBER_WORDS and not lower[j][0].isdecimal())):
            j += 1
        elif gap == " " and nxt == "of" and lower[j] in _VAGUE and j + 2 < n and lower[j + 2] in _VAGUE:
            j += 2  # "hundreds of thousands"
        elif nxt == "and" and lower[j] in _SCALES and j + 2 < n and lower[j + 2] in _NUMBER_WORDS:
            j += 2
        else:
            break
    return j


def _qualifier_start(sentence: _Sentence, i: int) -> int:
    lower = sentence.lower
    if i >= 2 and (lower[i - 2], lower[i - 1]) in _QUALIFIERS_2:
        return sentence.starts[i - 2]
    if i >= 3 and lower[i - 1] == "as" and (lower[i - 3], lower[i - 2]) in _QUALIFIERS_2:
        return sentence.starts[i - 3]  # "as many as"
    if i >= 1 and lower[i - 1] in _QUALIFIERS_1:
        return sentence.starts[i - 1]
    return sentence.starts[i]


def _unit_after(sentence: _Sentence, j: int, num_start: int) -> tuple[str | None, int]:
    """The measurement class of what follows the number ending at token j, and its end."""
    text, lower = sentence.text, sentence.lower
    count = len(lower)
    end = sentence.ends[j]
    if _CURRENCY_BEFORE.search(text, max(0, num_start - 5), num_start):
        k = j + 1
        if k < count and lower[k] in ("bn", "mn", "m", "k") and sentence.gap(j) == "":
            return "money", sentence.ends[k]
        return "money", end
    rest = text[end : end + 3]
    if rest[:1] == "%" or rest[:2] == " %":
        return "percent", end + rest.index("%") + 1
    if rest.lstrip()[:1] == "°":
        k = j + 1
        return "degree", sentence.ends[k] if k < count and lower[k] in ("c", "f") else end + rest.index("°") + 1
    k = j + 1
    if k >= count or (sentence.gap(j) not in (" ", "", "-", "\u00a0")):
        return None, end
    word = lower[k]
    head = word.split("-")[0]
    unit = _UNIT_CLASS_OF.get(word) or _UNIT_CLASS_OF.get(head)
    if word == "per" and k + 1 < count and lower[k + 1] == "cent":
        return "percent", sentence.ends[k + 1]
    if word in ("m", "t", "g", "l", "w", "v") and sentence.gap(j) != "":
        unit = None  # "3 m" is rare; "grade 3 a" is not a unit
    elif word == "m" and sentence.gap(j) == "":
        unit = "length"
    if unit is None:
        return None, end
    unit_end = sentence.ends[k]
    if word in ("square", "cubic", "sq") and k + 1 < count:
        unit_end = sentence.ends[k + 1]
    if unit == "money" and k + 1 < count and lower[k + 1] == "sterling":
        unit_end = sentence.ends[k + 1]
    if unit == "degree" and k + 1 < count and lower[k + 1] in ("celsius", "fahrenheit", "c", "f"):
        unit_end = sentence.ends[k + 1]
    return unit, unit_end


_FUNCTION_WORDS = _words(
    "the a an and or in on at by to for of with from as when after before while until that which who but was were "
    "is are had has have it he she they saw marked brought ad bc bce ce per than if so its his her their this these"
)
_YEAR_BEFORE = _words("in since until till by from to during after before around circa c early late mid the of "
                      "and between year spring summer autumn fall winter")


def _is_year(sentence: _Sentence, i: int, value: str, after: str) -> bool:
    """A 4-digit number read as a year ("in 1990", "the 1977 merger"), not a count ("2000 people");
    a 3-digit one after "in/since/..." ("in 911"); a day of a month ("13 January", "January 13")."""
    lower = sentence.lower
    before = lower[i - 1] if i > 0 else ""
    if value.isdecimal():
        number = int(value)
        if len(value) == 4 and 1000 <= number <= 2099:
            return not (_plural_like(after) or after in _UNIT_CLASS_OF)
        if len(value) == 3 and before in _YEAR_BEFORE and not _plural_like(after) and after not in _UNIT_CLASS_OF:
            return before not in ("the", "of", "and")
        if number <= 31:
            prev_token = sentence.words[i - 1] if i > 0 else ""
            if prev_token.rstrip(".") in _MONTHS:
                return True
            nxt = sentence.words[i + 1] if i + 1 < len(sentence.words) else ""
            nxt2 = sentence.words[i + 2] if i + 2 < len(sentence.words) else ""
            if nxt.rstrip(".") in _MONTHS or (nxt == "of" and nxt2 in _MONTHS):
                return True
    return after in ("ad", "bc", "bce", "ce")


def _counted_noun_end(sentence: _Sentence, q: _Quantity, count_stems: frozenset[str]) -> int | None:
    """End of the counted noun when it follows the number within a few words ("45 homes",
    "45 of the homes", "45 mostly wooden homes")."""
    if not count_stems:
        return None
    if q.attached:
        return sentence.ends[q.last] if set(_stems_of(q.attached)) & count_stems else None
    stems = sentence.stems()
    for k in range(q.last + 1, min(q.last + 5, len(sentence.words))):
        if any(ch in sentence.gap(k - 1) for ch in ",;:()."):
            return None
        if set(stems[k]) & count_stems:
            return sentence.ends[k]
        if sentence.lower[k] in _UNIT_CLASS_OF or sentence.lower[k] in _COUNT_BREAKS:
            return None
    return None


# Words that end the noun phrase a number counts: "the 3 rebels for hostages" counts rebels, not
# hostages ("of" does not end it: "45 of the homes").
_COUNT_BREAKS = _words("and or but which that who for to from in into with by against at on than per after before "
                       "during over under")


def _count_noun_before(sentence: _Sentence, q: _Quantity, count_stems: frozenset[str]) -> bool:
    """The counted noun in the few words before a bare number ("homes destroyed: 45", "the
    number of homes rose to 45")."""
    if not count_stems:
        return False
    i = sentence.index_at(q.num_start)
    stems = sentence.stems()
    return any(set(stems[k]) & count_stems for k in range(max(0, i - 5), i))


def _count_noun_leads(sentence: _Sentence, q: _Quantity, count_stems: frozenset[str]) -> bool:
    """The counted noun right before the number, whatever follows it: "a population of
    8,491,079 distributed over ...", "population: 5,000"."""
    k = sentence.index_at(q.num_start) - 1
    if k >= 0 and sentence.lower[k] in _LEADING_LINKS and not sentence.gap(k).strip():
        k -= 1
    # "five nursing homes, six ..." and "409.8 feet (124.9 m)" count other things
    return k >= 0 and not sentence.gap(k).strip(" :") and bool(set(sentence.stems()[k]) & count_stems)


_LEADING_LINKS = _words("of was is were are at stood reached totalled totaled numbered")


def _number_candidates(sentence: _Sentence, q: _Question) -> list[_Candidate]:
    """number: 1.0 for the counted noun or the asked measurement, 0.5 a bare number,
    0.0 a measurement when the question counts things (acres for homes)."""
    out = []
    counted: _Candidate | None = None  # the last number with the counted noun
    population = not q.words.isdisjoint(("population", "populations"))
    noun_last = 0  # the token that ends its noun
    for quantity in sentence.quantities():
        if quantity.year:
            continue
        start = _money_start(sentence.text, quantity.start) if quantity.unit == "money" else quantity.start
        noun_end = _counted_noun_end(sentence, quantity, q.count_stems)
        if noun_end is not None:
            # the unit the question names beats another of its class ("703 acres or over one
            # square mile" for "How many acres ...?")
            counted = _Candidate(start, noun_end, STRONG, _NAMED_UNIT if q.unit_class else 0.0)
            noun_last = sentence.index_at(noun_end) - 1
            out.append(counted)
        elif counted is not None and quantity.unit is None and not quantity.vague \
                and (elided := _elided_count(sentence, counted, noun_last, quantity, q)) is not None:
            out.append(elided)
        elif quantity.unit is not None:
            bonus = 0.0
            if q.unit_class == quantity.unit or (q.unit_class == "money" and quantity.unit == "weight"
                                                 and sentence.lower[quantity.last + 1:quantity.last + 2] == ["pounds"]):
                strength = STRONG
                unit_words = range(quantity.last + 1, sentence.index_at(quantity.unit_end))
                bonus = _NAMED_UNIT if any(set(sentence.stems()[k]) & q.count_stems for k in unit_words) else 0.0
            elif q.count_stems or q.unit_class:
                strength = NONE
            else:
                strength = WEAK
            out.append(_Candidate(start, quantity.unit_end, strength, bonus))
        elif quantity.vague:
            continue
        elif q.count_stems:
            before = _count_noun_leads(sentence, quantity, q.count_stems) or (
                not quantity.noun_follows and _count_noun_before(sentence, quantity, q.count_stems))
            if not before and population and _counts_other_noun(sentence, quantity):
                continue  # "12,000 troops", "five counties": no population
            out.append(_Candidate(start, quantity.end, STRONG if before else WEAK))
        elif not q.unit_class and quantity.noun_follows:
            out.append(_Candidate(start, quantity.end, STRONG))
        else:
            out.append(_Candidate(start, quantity.end, WEAK))
    if q.count_stems and not sentence.lower_set.isdisjoint(_ZERO_WORDS):
        out += _zero_candidates(sentence, q)
    return out


def _counts_other_noun(sentence: _Sentence, quantity: _Quantity) -> bool:
    """The number counts a plural noun of its own in the words after it, before a break ("12,000
    North Korean troops", "five counties"), which the caller knows is not the asked one. A
    population is asked for only by its own words, the people's ("711,988 inhabitants") or
    none ("a population of 8,491,079"; "the population fell below 10,000"): on SQuAD, no gold
    answer to a population question counts anything else."""
    for k in range(quantity.last + 1, min(quantity.last + 5, len(sentence.words))):
        if any(ch in sentence.gap(k - 1) for ch in ",;:()."):
            return False
        word = sentence.lower[k]
        if word in _FUNCTION_WORDS or word in _COUNT_BREAKS or not word.isalpha():
            return False
        if _plural_like(word):
            return word not in _S_VERBS  # "a town of 40,000 sits on the river"
    return False


_S_VERBS = _words("sits lies lives stands remains has does says makes gets goes comes attends works stays")


# Ranks the unit the question names above another of its class: "How many square miles ...?"
# gets "one square mile", not "703 acres", from "703 acres or one square mile".
_NAMED_UNIT = 1.0
_ZERO_WORDS = _words("no nobody none")
# "no serious injuries", "no other homes": words between "no" and the counted noun.
_ZERO_SKIP = _words("serious major significant other further known reported immediate confirmed additional new")


def _zero_candidates(sentence: _Sentence, q: _Question) -> list[_Candidate]:
    """A count of zero, which answers "How many ...?" as well as any number: "No injuries were
    reported" for "How many people were injured?", "no homes were lost", "Nobody was killed",
    "none of the sailors were hurt". The noun after "no" is the counted noun or one of the
    question's words (injuries ~ injured); "nobody", "no one" and "none" count the asked
    people or things when a question word follows within a few words ("No one was injured")."""
    out = []
    lower, stems = sentence.lower, sentence.stems()
    asked = q.count_stems | q.content_stems | q.related_stems
    n = len(lower)
    for i, word in enumerate(lower):
        if word not in _ZERO_WORDS or _conditional(sentence.text, sentence.starts[i]):
            continue
        if word == "no" and lower[i + 1 : i + 2] != ["one"]:
            k = i + 1
            while k < n and k <= i + 3 and lower[k] in _ZERO_SKIP:
                k += 1
            # "no more than 5", "no longer": the word after "no" is no plural noun, so no zero
            if k < n and (_plural_like(lower[k]) or set(stems[k]) & q.count_stems) \
                    and _near_stems(stems[k], asked):
                out.append(_Candidate(sentence.starts[i], sentence.ends[k], STRONG))
            continue
        end = i + 1 if word == "no" else i  # "no one"
        people = bool(q.count_stems & _GENERIC_COUNT_STEMS) or word == "none"
        verb = end + 1
        if word == "none" and verb < n and lower[verb] == "of":  # "none of the residents were hurt"
            verb = next((k + 1 for k in range(verb, min(verb + 4, n)) if set(stems[k]) & q.count_stems), n)
        predicate = (q.content_stems | q.related_stems) - q.count_stems
        if people and any(_near_stems(stems[k], predicate) for k in range(verb, min(verb + 3, n))):
            out.append(_Candidate(sentence.starts[i], sentence.ends[end], STRONG))
    return out


def _near_stems(stems: tuple[str, ...], asked: frozenset[str]) -> bool:
    """A stem of the word is one asked, or one is the other's start but for a letter or two (the
    stemmer makes "injuri" of "injuries" and "injur" of "injured"; "fire" is not "firefight")."""
    return any(s in asked or any(len(a) >= 4 and len(s) >= 4 and abs(len(a) - len(s)) <= 2
                                 and (a.startswith(s) or s.startswith(a)) for a in asked)
               for s in stems)


# Words joining two counts of one noun: "300 soldiers were killed and 2,700 wounded".
_COUNT_JOINS = _words("and while but with plus")


def _elided_count(sentence: _Sentence, first: _Candidate, noun_last: int, quantity: _Quantity,
                  q: _Question) -> _Candidate | None:
    """A bare number counting the noun of the counted number just before it, which it leaves
    out: "300 North Korean soldiers had been killed and 2,700 wounded", "killing 12 people and
    injuring 40"). When the question uses its own words ("wounded" after 2,700) and not the
    first's ("had been killed"), it is as strong as the first and wins; the other way round it
    is a bare number below the first ("16 people have been infected, and 13 have been
    hospitalized" answers "How many were infected?" with the 16, although "infected" stands
    nearer the 13). None with neither or both (the number is then read as any other), and when
    it is not so joined or counts another noun ("and 40 homes"). The sentence's fit is
    unchanged: the first number is a strong candidate already."""
    number = sentence.index_at(quantity.num_start)
    between = range(noun_last + 1, number)
    if not 1 <= len(between) <= 5 or any(ch in sentence.gap(k) for k in range(noun_last, number) for ch in ".;:()"):
        return None
    joins = [k for k in between if sentence.lower[k] in _COUNT_JOINS]
    if not joins:
        return None
    join = joins[-1]
    own_first = set(range(noun_last + 1, join)) | {sentence.index_at(first.start) - 1}
    own_second = set(range(join + 1, number))
    k = quantity.last + 1
    while k < len(sentence.lower) and k <= quantity.last + 3 and sentence.lower[k] not in _FUNCTION_WORDS \
            and not any(ch in sentence.gap(k - 1) for ch in ",.;:()"):
        if _plural_like(sentence.lower[k]) and sentence.lower[k] not in ("others", "more"):
            return None  # "and 20 rail lines": another noun
        own_second.add(k)
        k += 1
    stems = sentence.stems()

    def asked(own: set[int]) -> bool:
        return any(set(stems[i]) & (q.content_stems | q.related_stems) for i in own if 0 <= i < len(stems))

    first_asked, second_asked = asked(own_first), asked(own_second)
    if second_asked and not first_asked:
        return _Candidate(quantity.start, quantity.end, STRONG, 1.0)
    if first_asked and not second_asked:
        return _Candidate(quantity.start, quantity.end, WEAK)  # below the first, which is asked
    return None


def _money_candidates(sentence: _Sentence, q: _Question) -> list[_Candidate]:
    out = []
    for quantity in sentence.quantities():
        if quantity.year or quantity.vague:
            continue
        unit = quantity.unit
        pounds = sentence.lower[quantity.last + 1 : quantity.last + 2] in (["pound"], ["pounds"])
        if unit == "money" or (unit == "weight" and pounds):
            out.append(_Candidate(_money_start(sentence.text, quantity.start), quantity.unit_end, STRONG))
        elif unit is None and not (quantity.noun_follows and _counts_things(sentence, quantity)):
            out.append(_Candidate(quantity.start, quantity.end, WEAK))
    return out


def _counts_things(sentence: _Sentence, quantity: _Quantity) -> bool:
    """The number counts something other than money: "12,000 troops" is no sum paid, while
    "12 million won" or "40 million annually" may be one."""
    after = "".join(sentence.lower[quantity.last + 1 : quantity.last + 2])
    return after not in _MONEY_NOUNS and after not in _UNIT_CLASSES["money"] and not after.endswith("ly") \
        and after not in _MONEY_AFTER


def _money_start(text: str, start: int) -> int:
    match = _CURRENCY_BEFORE.search(text, max(0, start - 6), start)
    return match.start() if match else start


def _date_candidates(sentence: _Sentence, q: _Question) -> list[_Candidate]:
    """date: 1.0 a full date (or what "what year/century/..." asks for), 0.5 a year only, a
    month, a century or decade, a relative day."""
    wants = _DATE_WANTS.get(q.date_want, _DATE_WANTS[""])
    found: list[tuple[int, int, str]] = []
    text = sentence.text
    if sentence.calendar:
        for pattern, label in _CALENDAR_PATTERNS:
            found += [(m.start(), m.end(), label) for m in pattern.finditer(text)]
    if sentence.has_digit:
        found += [(m.start(), m.end(), "full") for m in _NUMERIC_DATE.finditer(text)]
        found += [(m.start(), m.end(), "month_year") for m in _SEASON_YEAR.finditer(text)]
        found += [(m.start(), m.end(), "decade") for m in _DECADE.finditer(text)]
        for quantity in sentence.quantities():
            if quantity.year and len(text[quantity.num_start : quantity.end]) >= 3:
                found.append((quantity.num_start, _era_end(sentence, quantity), "year"))
    if sentence.lower_set & {"century", "centuries"}:
        found += [(m.start(), m.end(), "century") for m in _CENTURY.finditer(text)]
    if sentence.lower_set & _RELATIVE_WORDS:
        found += [(m.start(), m.end(), "relative") for m in _RELATIVE.finditer(text)]
    if sentence.lower_set & _CLOCK_CUES or (sentence.has_digit and ":" in text):
        found += [(m.start(), m.end(), "clock") for m in _CLOCK.finditer(text)]
    # Longest first; a shorter match inside a longer one is the same date.
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    out: list[_Candidate] = []
    last_end = -1
    for start, end, label in found:
        if start < last_end:
            continue
        last_end = end
        out.append(_Candidate(start, end, STRONG if label in wants else WEAK))
    return out


_RELATIVE_WORDS = _words("yesterday today tonight last next this earlier later previous following")


def _era_end(sentence: _Sentence, quantity: _Quantity) -> int:
    k = quantity.last + 1
    if k < len(sentence.words) and sentence.lower[k] in ("ad", "bc", "bce", "ce"):
        return sentence.ends[k]
    return quantity.end


def _duration_candidates(sentence: _Sentence, q: _Question) -> list[_Candidate]:
    """duration: 1.0 a number of time units ("three weeks", "a decade"), 0.5 a span given by
    its ends ("from 1260 to 1294", "since 2003") or a bare number."""
    out = []
    lower = sentence.lower
    for quantity in sentence.quantities():
        if quantity.unit == "time":
            out.append(_Candidate(quantity.start, quantity.unit_end, STRONG))
        elif quantity.year:
            index = sentence.index_at(quantity.num_start)
            before = lower[index - 1] if index > 0 else ""
            if before in ("since", "from", "between", "until", "till") or quantity.end - quantity.num_start > 4:
                out.append(_Candidate(quantity.num_start, quantity.end, WEAK))
        elif quantity.unit is None and not quantity.vague:
            out.append(_Candidate(quantity.start, quantity.end, WEAK))
    for k, word in enumerate(lower):
        if word not in _TIME_UNITS or k == 0:
            continue
        before = lower[k - 1]
        if before in ("a", "an", "many", "several", "few", "couple", "for", "over", "within", "decades", "some"):
            if before in ("for", "over", "within") and not word.endswith("s"):
                continue
            start = sentence.starts[k - 1] if before not in ("for", "over", "within") else sentence.starts[k]
            out.append(_Candidate(start, sentence.ends[k], STRONG if word.endswith("s") or before in (
                "a", "an") else WEAK))
        elif before == "since" or (k > 1 and lower[k - 2] == "since"):
            out.append(_Candidate(sentence.starts[k - 1], sentence.ends[k], WEAK))
    if sentence.lower_set & {"century", "centuries"} or (sentence.has_digit and "0s" in sentence.text):
        for cand in _date_candidates(sentence, q):
            out.append(_Candidate(cand.start, cand.end, WEAK))
    return out


def _age_candidates(sentence: _Sentence, q: _Question) -> list[_Candidate]:
    """age: 1.0 an age phrase ("aged 20 and 26", "a 45-year-old", "Smith, 45,"), 0.5 a birth
    year or a small bare number."""
    out: list[_Candidate] = []
    text = sentence.text
    if not sentence.lower_set.isdisjoint(_AGE_CUES) or "-old" in text or "-year" in text:
        for pattern in _AGE_PATTERNS:
            out += [_Candidate(m.start("a"), m.end("a"), STRONG) for m in pattern.finditer(text)]
    if sentence.has_digit:
        out += [_Candidate(m.start("a"), m.end("a"), STRONG) for m in _AGE_APPOSITION.finditer(text)]
    if out:
        return out
    if "born" in sentence.lower_set:
        out += [_Candidate(m.start("a"), m.end("a"), WEAK) for m in _BORN.finditer(sentence.text)]
    for quantity in sentence.quantities():
        value = sentence.text[quantity.num_start : quantity.end]
        if not quantity.year and quantity.unit is None and value.isdecimal() and 0 < int(value) < 125:
            out.append(_Candidate(quantity.start, quantity.end, WEAK))
    return out


# --- names ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Name:
    start: int
    end: int
    words: tuple[str, ...]
    first: int  # token index of the first word
    last: int  # token index of the last word
    title: str  # a title word right before it ("President", "King"), else ""
    title_start: int  # where that title starts


def _is_cap(word: str) -> bool:
    return word[:1].isupper()


def _find_names(sentence: _Sentence) -> list[_Name]:
    """Runs of capitalised words ("Kim Jong Un", "Bank of England", "William the Conqueror"),
    without a common word capitalised only because it opens the sentence or a clause, without
    titles ("President", kept aside as a cue), months or weekdays."""
    text, lower = sentence.text, sentence.lower
    names: list[_Name] = []
    i = 0
    n = len(lower)
    while i < n:
        word = sentence.words[i]
        if not word[0].isupper() or word in _NEVER_NAMES:
            i += 1
            continue
        if word in _PERSON_TITLES and i + 1 < n and _is_cap(sentence.words[i + 1]) and sentence.gap(i) in (" ", ". "):
            i += 1
            continue
        if lower[i].removesuffix("'s").removesuffix("’s") in _OPENERS and (
                i == 0 or _opens_clause(text, sentence.starts[i])):  # "It’s all good"
            i += 1
            continue
        if i == 0 and word.endswith("ly"):
            i += 1
            continue
        if _common_noun_opening(sentence, i):
            i += 1
            continue
        j = i
        while j + 1 < n:
            gap = sentence.gap(j)
            nxt = sentence.words[j + 1]
            if gap != " " and not (gap == ". " and len(sentence.words[j]) == 1):
                break
            if nxt in _PERSON_TITLES and j + 2 < n and _is_cap(sentence.words[j + 2]):
                break  # "Pakistani Prime Minister Benazir Bhutto": the name starts after the title
            if _is_cap(nxt) and nxt not in _NEVER_NAMES:
                j += 1
            elif (lower[j + 1] in _CONNECTORS and nxt.islower() and j + 2 < n and _is_cap(sentence.words[j + 2])
                  and sentence.words[j + 2] not in _NEVER_NAMES and sentence.gap(j + 1) == " "):
                j += 2
            else:
                break
        if j + 1 < n and sentence.words[j + 1].isdecimal() and sentence.gap(j) == " ":
            j += 1  # "Article 5", "Apollo 11"
        start, end = sentence.starts[i], sentence.ends[j]
        if text[end - 2 : end] in ("'s", "’s"):
            end -= 2
        title, title_start = "", start
        if i > 0 and sentence.gap(i - 1) in (" ", ". "):
            before = sentence.words[i - 1].rstrip(".")
            if before in _PERSON_TITLES or lower[i - 1] in _ROLE_NOUNS:
                title, title_start = before, sentence.starts[i - 1]
        names.append(_Name(start, end, tuple(sentence.words[i : j + 1]), i, j, title, title_start))
        i = j + 1
    return names


def _common_noun_opening(sentence: _Sentence, i: int) -> bool:
    """A lone capitalised word opening the sentence or a clause that reads as a common noun:
    with a common noun's ending ("Interrogations, facilitated by ...", "Permission for ...",
    "Government departments") or a plural followed by a preposition ("Reports from ..."). A name
    opening a sentence seldom is ("Newton proposed", "Zelensky on Monday said", "GameTrailers in
    their review")."""
    words, lower = sentence.words, sentence.lower
    if not (i == 0 or _opens_clause(sentence.text, sentence.starts[i])) or not words[i][1:].islower():
        return False  # not at an opening, or "GameTrailers", "BMW"
    if i + 1 < len(words) and sentence.gap(i) == " " and (_is_cap(words[i + 1]) or (
            lower[i + 1] in _CONNECTORS and i + 2 < len(words) and _is_cap(words[i + 2]))):
        return False  # "Islamization of Knowledge"
    word = lower[i]
    if _COMMON_NOUN_ENDING.search(word):
        return True
    plural = len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))
    return plural and i + 1 < len(words) and sentence.gap(i) == " " and lower[i + 1] in _PREPOSITIONS_AFTER


# Not "-ance", "-ence", "-ity" or "-ing": France, Florence, Trinity, Beijing.
_COMMON_NOUN_ENDING = re.compile(r"(?:tions?|sions?|ments?|ness|isms?)$")
# Not "of", "in", "on", "at", "to", "with" or "by": "Jones of the Associated Press said", "Adams on Monday
# said" open with a surname.
_PREPOSITIONS_AFTER = _words("for from about against among between into over under")


def _opens_clause(text: str, offset: int) -> bool:
    before = text[:offset].rstrip()
    return not before or before[-1] in "\"'“‘(:;—–-.!?"


def _name_words(name: _Name) -> list[str]:
    return [w for w in name.words if w not in _CONNECTORS]


def _novelty(name: _Name, q: _Question) -> float:
    """1 when no word of the name is in the question, 0.5 when some are, 0 when all are: the
    answer is what the question does not already say. A descriptive word the question uses
    ("What river ..." and "the Vistula River") counts neither way."""
    words = [w.lower().removesuffix("'s").removesuffix("’s") for w in _name_words(name)]
    known = [w in q.words or (_stem1(w) and _stem1(w) in q.content_stems) for w in words]
    kept = [k for w, k, original in zip(words, known, _name_words(name)) if not (k and original in _DESCRIPTORS)]
    if not kept or all(kept):
        return 0.0
    return 0.5 if any(kept) else 1.0


_DESCRIPTORS = _PERSON_TITLES | _PLACE_MARKERS | _ORG_MARKERS


def _echoes_type_noun(sentence: _Sentence, name: _Name, q: _Question) -> bool:
    """The name carries the question's type noun: "What river" -> "Vistula River", "the river
    Seine", "the Cévennes mountain region", "the colony of Virginia"."""
    if not q.type_noun:
        return False
    stems = sentence.stems()
    n = len(stems)
    near = [name.last]
    if name.last + 1 < n and sentence.gap(name.last) == " ":
        near.append(name.last + 1)  # "the Cévennes mountain region"
    k = name.first - 1
    if k >= 0 and sentence.gap(k) == " ":
        near.append(k)  # "the river Seine", "conductor Leonard Bernstein"
        if sentence.lower[k] in ("of", "the") and k >= 1 and sentence.gap(k - 1) == " ":
            near.append(k - 1)  # "the colony of Virginia"
    return any(q.type_noun in stems[k] for k in near)


@dataclass(frozen=True, slots=True)
class _NameCues:
    person: bool
    place: bool
    organization: bool
    modifier: bool  # an adjective-like single word before a noun ("Huguenot rebellions", "French king")
    demonym: bool  # a single word ending like a people's name ("Polish", "Americans"): not a place
    title_phrase: bool  # "Bishop of Bayeux": a title, not a name


def _name_cues(sentence: _Sentence, name: _Name) -> _NameCues:
    words = _name_words(name)
    lower = sentence.lower
    count = len(lower)
    org = any(w in _ORG_MARKERS for w in words) or (
        len(words) == 1 and words[0].isupper() and 2 <= len(words[0]) <= 6 and words[0] not in _ACRONYM_PLACES
    )
    # A marker needs a name before it: "Coast guard officers ..." or "State said" name no place.
    place = (words[-1] in _PLACE_MARKERS and len(words) > 1) or (words[0] in _PLACE_FIRST and len(words) > 1) \
        or words[0] in _ACRONYM_PLACES
    prev = lower[name.first - 1] if name.first > 0 else ""
    if prev == "the" and name.first > 1:
        prev = lower[name.first - 2]
    if prev in _PLACE_BEFORE or prev in _PLACE_NOUNS_BEFORE:
        place = True
    elif prev == "of" and name.first > 1 and lower[name.first - 2] in _PLACE_NOUNS_BEFORE | _PLACE_PARTS:
        place = True  # "the colony of Virginia", "the new state of Turkey"
    after = lower[name.last + 1] if name.last + 1 < count else ""
    gap_after = sentence.gap(name.last) if name.last + 1 < count else ""
    before = lower[name.first - 1] if name.first > 0 else ""
    person = bool(name.title) or after in _SPEECH_AFTER or before in _SPEECH_BEFORE
    if gap_after.startswith(",") and name.last + 2 < count:
        appositive = lower[name.last + 1 : name.last + 4]
        if appositive[0] in ("who", "whose") or (len(appositive) > 1 and appositive[0] in (
                "the", "a", "an", "his", "her") and set(appositive[1:]) & _ROLE_NOUNS):
            person = True
    if (len(words) >= 2 and not org and not place
            and all(w[:1].isupper() and (w[1:].islower() or len(w) <= 3) for w in words)):
        person = True
    title_phrase = name.words[0] in _PERSON_TITLES and len(name.words) > 1 and name.words[1] == "of"
    modifier = (gap_after == " " and after.isalpha() and after.islower()
                and after not in _SPEECH_AFTER and after not in _FUNCTION_WORDS and after not in AUXILIARIES
                and not _VERB_LIKE.search(after) and not name.words[-1].endswith(("'s", "’s")))
    if modifier and not _DEMONYM.search(name.words[-1].lower()):
        # Otherwise only a single word before a role noun ("Harvard president"): "Germany bans"
        # is a verb.
        modifier = len(name.words) == 1 and after in _ROLE_NOUNS
    demonym = len(words) == 1 and bool(_DEMONYM_PEOPLE.search(words[0]))
    return _NameCues(person and not org, place and not org, org, modifier, demonym, title_phrase)


def _name_candidates(sentence: _Sentence, q: _Question, kind: str) -> list[_Candidate]:
    """person / place / organization: a capitalised name the question does not use; 1.0 with a
    cue for that kind (a title, "said", "in"/"from" or River/City, Inc/Ministry/Party, or the
    question's own type noun), 0.5 without, 0.0 for an adjective-like word ("French king")."""
    out = []
    names = sentence.names()
    for index, (name, cues) in enumerate(names):
        novelty = _novelty(name, q)
        if novelty == 0.0:
            continue
        echo = _echoes_type_noun(sentence, name, q)
        if cues.modifier and not echo:
            strength = NONE
        elif kind == "person":
            strength = STRONG if cues.person and not cues.place and not cues.title_phrase else (
                NONE if cues.place and not cues.person else WEAK)
        elif kind == "place":
            strength = STRONG if cues.place and not cues.person else (NONE if cues.demonym else WEAK)
        else:
            strength = STRONG if cues.organization else WEAK
        if echo:
            strength = STRONG
        if novelty < 1.0:
            strength = min(strength, WEAK)
        # A title that opens place names ("St. Lawrence River") is part of a place's, as a noble
        # title is of a person's
        keeps_title = name.title in _NOBLE_TITLES if kind == "person" else kind == "place" and name.title in _PLACE_FIRST
        start = name.title_start if keeps_title else name.start
        if kind == "person" and not keeps_title:
            start = _after_job_title(sentence, name, start)
        end = _list_end(sentence, names, index) if q.plural else name.end
        out.append(_Candidate(start, end, strength, 1.0 if echo else 0.0))
    return out


def _after_job_title(sentence: _Sentence, name: _Name, start: int) -> int:
    """Where the person's own name starts after a job title capitalised before it: "Costco Chief
    Financial Officer Richard Galanti" -> "Richard Galanti", "Coke CEO James Quincey" -> "James
    Quincey". The title ends at its last role noun, and two or more capitalised words, no "of",
    must follow it (a given name and a surname: "Officer Smith" stays whole)."""
    if name.last - name.first + 1 != len(name.words):
        return start
    roles = [j for j, word in enumerate(name.words[:-1]) if word.lower() in _ROLE_NOUNS]
    if not roles:
        return start
    own = name.words[roles[-1] + 1 :]
    if len(own) < 2 or not all(_is_cap(word) and word.lower() not in _CONNECTORS for word in own):
        return start  # "Minister of Health", "A Head Full of Dreams"
    return sentence.starts[name.first + roles[-1] + 1]


def _list_end(sentence: _Sentence, names: list[tuple[_Name, _NameCues]], index: int) -> int:
    """End of the list a name opens ("Holland, Prussia, and South Africa"), for questions that
    ask for several."""
    end = names[index][0].end
    for name, _cues in names[index + 1 :]:
        between = sentence.text[end : name.start]
        if between not in (", ", " and ", ", and ", " or ", ", or ", " & "):
            break
        end = name.end
    return end


def _candidates(sentence: _Sentence, kind: str, q: _Question) -> list[_Candidate]:
    cached = sentence.candidates
    if cached is not None and cached[0][0] == kind and cached[0][1] is q:
        return cached[1]
    found = _find_candidates(sentence, kind, q)
    sentence.candidates = ((kind, q), found)
    return found


def _find_candidates(sentence: _Sentence, kind: str, q: _Question) -> list[_Candidate]:
    if kind == "number":
        return _number_candidates(sentence, q)
    if kind == "money":
        return _money_candidates(sentence, q)
    if kind == "date":
        return _date_candidates(sentence, q)
    if kind == "duration":
        return _duration_candidates(sentence, q)
    if kind == "age":
        return _age_candidates(sentence, q)
    if kind in ("person", "place", "organization"):
        return _name_candidates(sentence, q, kind)
    return []


# ============================================================================================
# Public API
# ============================================================================================


def type_fit(sentence: str, kind: str | None, question: str = "") -> float:
    """How well `sentence` holds an answer of `kind`: 1.0 a clear one (a number with the counted
    noun or the asked unit, an age phrase, a full date, a name the question does not already
    use with a person / place / organisation cue), 0.5 a possible one (a bare number, a year
    only, any new capitalised name), 0.0 none (including a measurement such as "12,000 acres"
    when the question counts homes).

    A sentence saying the asked detail is not known (`states_absence`) fits fully: it is the
    honest answer. No kind (an open question) and plain yes/no questions have no form to check,
    so every sentence fits (1.0); a yes/no question about a detail ("Did X say how many ...")
    gets 1.0 for that detail or its absence, 0.5 otherwise."""
    if kind is None:
        return STRONG
    q = _parse(question)
    if question and states_absence(sentence, question):
        return STRONG
    parsed = _sentence(sentence)
    if kind == "yesno":
        if q.embedded is None or q.embedded == "yesno":
            return STRONG
        detail = max((c.strength for c in _candidates(parsed, q.embedded, q)), default=NONE)
        return STRONG if detail == STRONG else WEAK
    return max((c.strength for c in _candidates(parsed, kind, q)), default=NONE)


def has_answer_type(sentence: str, kind: str | None, question: str | None = None) -> bool:
    """Whether the sentence holds something that may answer a question of `kind` (type_fit >= 0.5).
    Pass the question: without it a number question cannot tell a count from a measurement, and
    a name question cannot tell a new name from one the question already uses."""
    return type_fit(sentence, kind, question or "") >= WEAK


def states_absence(sentence: str, question: str) -> bool:
    """The sentence says the detail the question asks for is not known or not given ("did not
    disclose how many troops", "it is unclear when", "declined to comment on the deal").

    It must be about the question: the missing detail fits what is asked (a missing count
    answers "how many", not "where"; a bare "declined to comment" fits any question), and the
    sentence shares content words with the question (stems; the count noun's near synonyms
    count: troops ~ soldiers): one when the missing detail matches the asked one ("how many" in
    both), nearly all of them for a generic absence ("declined to comment", "it is unclear how
    ..."). A condition ("if ... is not known") is not a statement of absence."""
    parsed = _sentence(sentence)
    if parsed.lower_set.isdisjoint(_ABSENCE_TRIGGERS) and "n't" not in sentence and "n’t" not in sentence:
        return False
    match = next((m for m in _ABSENCE_RE.finditer(sentence) if not _conditional(sentence, m.start())), None)
    if match is None:
        return False
    q = _parse(question)
    asked = q.embedded if q.kind == "yesno" and q.embedded else q.kind
    tail = sentence[match.end() : match.end() + 80]
    detail = next((label for pattern, label in _ABSENCE_DETAIL if pattern.match(tail)), None)
    if detail is None:  # "The exact number of fatalities is not known."
        head = _ABSENCE_SUBJECT.search(sentence, max(0, match.start() - 60), match.end())
        detail = _ABSENCE_SUBJECT_KIND[head.group(1).lower()[:4]] if head else None
    if detail is not None and asked is not None and asked != "yesno" and asked not in _absence_answers(detail, tail):
        return False
    if not _counts_what_is_asked(detail, tail, q):
        return False
    stems = {s for token_stems in parsed.stems() for s in token_stems}
    shared = len(stems & q.content_stems) + (1 if stems & q.related_stems - q.content_stems else 0)
    if detail is not None and asked is not None:
        return shared >= 1  # "did not disclose how many troops" for "how many soldiers"
    # A generic absence ("declined to comment", "it is unclear how ...") must be about everything
    # the question names: "it was unclear how NK cells recognize tumours" does not answer "What
    # do NK cells protect?".
    wanted = len(q.content_stems)
    return wanted > 0 and shared >= max(min(2, wanted), wanted - (1 if wanted >= 4 else 0))


def _absence_answers(detail: str, tail: str) -> frozenset[str]:
    """The asked kinds an absence of `detail` answers. A missing count of something named
    answers a count only: "did not disclose how many troops" does not answer "How much did
    Russia pay?" nor "How old were they?"; a count of a currency ("how many dollars") answers
    money, one of time units an age or a duration."""
    counted = _COUNTED.match(tail) if detail == "number" else None
    if counted is None:
        return _ABSENCE_ANSWERS[detail]
    noun = counted.group(1).lower()
    if noun in _UNIT_CLASSES["money"] or noun in ("pound", "pounds"):
        return frozenset({"money", "number"})
    if noun in _TIME_UNITS:
        return frozenset({"number", "age", "duration"})
    return frozenset({"number"})


def _counts_what_is_asked(detail: str | None, tail: str, q: _Question) -> bool:
    """A missing count of one thing is no answer to a count of another: "did not disclose how
    many troops" answers "How many soldiers ...?" (near synonyms) and "How many people ...?"
    (a count of anyone), not "How many drones ...?"."""
    counted = _COUNTED.match(tail) if detail == "number" and q.count_stems else None
    if counted is None or q.count_stems & _GENERIC_COUNT_STEMS:
        return True
    noun = counted.group(1).lower()
    return bool(set(_stems_of(noun) + _synonym_stems(noun)) & q.count_stems)


# Counts of anyone: a missing count of sailors or troops is a missing count of these.
_GENERIC_COUNT_STEMS = frozenset(
    stem for word in ("people", "persons", "individuals", "victims", "casualties", "deaths", "fatalities", "lives")
    for stem in _stems_of(word)
)
_COUNTED = re.compile(_DETAIL_AHEAD + r"how many\s+(?:more\s+|of\s+(?:the|its|their|his|her)\s+)?([a-z][a-z-]*)", re.I)


def _conditional(sentence: str, offset: int) -> bool:
    """The match sits in an "if"/"unless" clause."""
    clause = re.split(r"[,;:]", sentence[max(0, offset - 150) : offset])[-1]
    return bool(_CONDITION.search(clause))


_CONDITION = re.compile(r"\b(?:if|unless|whether|when|once|until)\b", re.I)


def answer_span(question: str, sentence: str, kind: str | None = None) -> tuple[int, int] | None:
    """(start, end) of the short answer inside `sentence`: the age, the figure with its noun or
    unit, the amount, the date, the duration, the name. None for open and yes/no questions, and
    when the sentence holds no candidate of the asked kind. `kind` defaults to the question's.

    The strongest candidate wins; among equals, the one nearest the question's words where they
    occur in the sentence (the classic QA "window"): in "The fire killed 3 people and destroyed
    45 homes", "How many homes were destroyed?" gets "45 homes"."""
    q = _parse(question)
    kind = kind or q.kind
    if kind is None or kind == "yesno":
        return None
    parsed = _sentence(sentence)
    candidates = [c for c in _candidates(parsed, kind, q) if c.strength > NONE]
    if not candidates:
        return None
    best = max(candidates, key=lambda c: (_window_score(parsed, c, q), -c.start))
    start, end = best.start, best.end
    if kind == "place" and q.type_noun in _ANY_PLACE:
        start = _institution_before(parsed, parsed.index_at(start), start, q)
    while start < end and (sentence[start].isspace() or sentence[start] in "\"'“‘("):
        start += 1
    while end > start and (sentence[end - 1].isspace() or sentence[end - 1] in ",;:\"'”’)"):
        end -= 1
    return (start, end) if start < end else None


def _window_score(sentence: _Sentence, candidate: _Candidate, q: _Question) -> float:
    """Strength first, then closeness to the question's words in the sentence: for each content
    word of the question found outside the candidate, 1 / its distance in words."""
    first = sentence.index_at(candidate.start)
    last = max(first, sentence.index_at(candidate.end) - 1)
    nearest: dict[str, int] = {}
    for k, token_stems in enumerate(sentence.stems()):
        if first <= k <= last:
            continue
        for stem in token_stems:
            if stem in q.content_stems:
                distance = first - k if k < first else k - last
                if distance < nearest.get(stem, 1 << 30):
                    nearest[stem] = distance
    closeness = sum(1.0 / d for d in nearest.values())
    return candidate.strength * 4.0 + candidate.bonus * 2.0 + closeness - _origin_penalty(sentence, first, q)


# Named places a place is "in" ("Mercy General Hospital in Redwood City").
_INSTITUTIONS = _words(
    "hospital hospitals clinic hotel university college school academy institute airport station stadium arena "
    "prison jail museum church cathedral mosque temple palace base camp embassy consulate centre center hall "
    "library theatre theater court courthouse barracks factory plant mine port harbour harbor"
)
_ABBREVIATED = frozenset("St Mt Ft".split())  # "St. Mary Hospital"
# Type nouns (stems) of questions asking where in general: "Where ...?", "At what place/location
# ...?"; "What town/city/borough ...?" asks for the town, not the hospital in it.
_ANY_PLACE = frozenset({"", "place", "locat", "venu", "site", "spot"})


def _institution_before(sentence: _Sentence, first: int, start: int, q: _Question) -> int:
    """The start of a named institution the place at word `first` locates ("... treated at Mercy
    General Hospital in Redwood City": the answer is the hospital in the town, not the town
    alone), else `start`. Not when the question names the institution itself ("Where is the
    China Tibetology Research Center located?" asks for the town). Only the span grows: whether
    the sentence holds a place is unchanged.

    On SQuAD's gold sentences (the 10 train articles; no dev question has the pattern) it
    changes 5 short answers, 4 nearer the gold ("Lenox Hill Hospital in New York" for "Lenox
    Hill Hospital", was "New York"; "Huntingdon College in Montgomery" for "Huntingdon
    College", was "Montgomery"), one wrong either way (a law school asked, the college named)."""
    k = first - 1
    if k < 1 or sentence.lower[k] != "in" or sentence.gap(k - 1) != " " or sentence.gap(k) != " ":
        return start
    k -= 1
    if sentence.lower[k] not in _INSTITUTIONS or not sentence.words[k][:1].isupper():
        return start
    while k > 0 and sentence.words[k - 1][:1].isupper() and (
        sentence.gap(k - 1) == " " or (sentence.gap(k - 1) == ". " and sentence.words[k - 1] in _ABBREVIATED)
    ):
        k -= 1
    if k == 0 or k == first - 2:
        # opening the sentence, its first word may be capitalised only for that; a lone
        # "Hospital in X" names no institution
        return start
    if all(word in q.words for word in sentence.lower[k : first - 1]):
        return start
    return sentence.starts[k]


# "Where were the sailors detained?": "near the island of Kell", not "sailors from ... Estria".
_LOCATING = frozenset("in at near on into inside outside off across".split())


def _origin_penalty(sentence: _Sentence, first: int, q: _Question) -> float:
    """1 for a place named as where someone or something comes from ("from the republic of
    Estria") when the question does not ask "from" where: such a place is rarely the answer."""
    if q.kind != "place" or "from" in q.words:
        return 0.0
    for k in range(first - 1, max(-1, first - 7), -1):
        word = sentence.lower[k]
        if word == "from":
            return 1.0
        if word in _LOCATING or sentence.gap(k) != " ":
            return 0.0
    return 0.0


# The words that ask for an answer type; a sentence holding that type answers them.
_TYPE_WORDS = {
    "age": "old age ages aged",
    "number": "many much long far big large percentage percent number proportion share",
    "money": "much cost price paid pay spend spent worth money",
    "date": "year date day month century decade time",
    "duration": "long period duration",
    "person": "",
    "place": "",
    "organization": "",
    "yesno": "",
}


@functools.cache
def answer_type_terms(kind: str | None) -> frozenset[str]:
    """Stemmed question words that a sentence of answer type `kind` covers: a sentence with an
    age answers the "old" of "How old ...", so "old" should not count as a missing word."""
    return frozenset(tokenize([_TYPE_WORDS.get(kind or "", "")])[0]) if kind else frozenset()
