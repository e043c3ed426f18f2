"""Tests of the protocol machinery: loader, static checker and engine.

``MINI_TOML`` is a small, check-clean protocol that the example tests change one fault at a
time; ``mini()`` parses a fresh copy of it for every test.
"""

from __future__ import annotations

import tomllib
from typing import Any

from backtriage.protocol import Protocol, protocol_from_data

MINI_SOURCE = "mini.toml"

FORMAT3_TABLES = """
[scope]
intended_use = "Testing the library."
population = "People in tests."

[safety_net]
emergency = ["New numbness between your legs.", "New trouble peeing."]
today = ["A fever."]
review = "Book a review if it is not better in 6 weeks."

[texts]
disclaimer = "A screening aid, not a diagnosis."
why_heading = "Why:"
answer_first_heading = "Please answer first:"
answer_now_heading = "Please answer now:"
emergency_heading = "Go to an emergency department now if:"
today_heading = "See a doctor today if:"
exercises_heading = "Exercises:"
caution_label = "Caution"
self_management_heading = "Looking after your back:"
self_management = ["Keep active."]
not_for_now_heading = "Not for now:"
odi_label = "ODI"
start_back_label = "STarT Back"
protocol_label = "Protocol"
unanswered = "Some questions are not answered yet."
unanswered_same_day = "Answer the questions now."
none_suitable = "No exercise suits you for now."
out_of_scope = "This is for adults."
under_age_reason = "Too young."
withheld_unanswered = "Answer the questions first."
withheld_urgent = "See a clinician first."
not_yet = "Not yet, first:"
care_plan_title = "Back pain plan"
odi_question = "The ODI questionnaire."
start_back_question = "The STarT Back questionnaire."
age_question = "Your age."
preference_question = "The movement that eases it."

[texts.no_exercise_advice]
none = "No urgent concern."
routine = "Book a routine appointment."
soon = "See someone within two weeks."
same_day = "See a doctor today."
emergency = "Go to an emergency department now."
"""
"""The tables format 3 needs besides ``format = 3`` and [advice]: append to a test document."""

FULL_ADVICE = """
[advice]
none = "All fine."
routine = "Book a routine visit."
soon = "See someone soon."
same_day = "See a doctor today."
emergency = "Go now."
"""


def format3(text: str) -> str:
    """Return the test document ``text`` as format 3: the version, [advice] and the tables."""
    advice = "" if "[advice]" in text else FULL_ADVICE
    return f"format = 3\n{text}\n{advice}{FORMAT3_TABLES}"


MINI_TOML = (
    """\
format = 3
name = "mini"
version = "1.0"
require_odi = true
safety = "Stop if it hurts."
safety_source = "S1"

[sources]
S1 = "A test source"

[advice]
none = "All fine."
routine = "Book a routine visit."
soon = "See someone soon."
same_day = "See a doctor today."
emergency = "Go now."

[[exercises]]
id = "bend"
title = "Forward bend"
family = "bending"
movement = "flexion"
position = "standing"
level = 1
in_bed = false
dosage = "5 times"
steps = ["Gently: 5 times", "5 times"]
instructions = "Bend a little."

[[exercises]]
id = "hug"
title = "Knee hug"
family = "hugs"
movement = "flexion"
position = "supine"
level = 1
in_bed = true
dosage = "5 times"
steps = ["Gently: 5 times", "5 times"]
instructions = "Hug one knee."

[[exercises]]
id = "double_hug"
title = "Double knee hug"
family = "hugs"
movement = "flexion"
position = "supine"
level = 2
in_bed = true
prerequisites = ["hug_ok"]
dosage = "5 times"
steps = ["Gently: 5 times", "5 times"]
instructions = "Hug both knees."

[[exercises]]
id = "arch"
title = "Back arch"
family = "arching"
movement = "extension"
position = "prone"
level = 2
in_bed = false
dosage = "5 times"
steps = ["Gently: 5 times", "5 times"]
instructions = "Arch gently."

[[facts]]
name = "fever"
kind = "red_flag"
polarity = "risk"
required = true
question = "Do you have a fever?"

[[facts]]
name = "numb"
kind = "red_flag"
polarity = "risk"
required = true
question = "Is anything numb?"

[[facts]]
name = "stiff"
kind = "finding"
polarity = "risk"
# It can refer soon (rule numb_soon): unanswered, it must not read as no.
required = true
question = "Is your back stiff?"

[[facts]]
name = "sore"
kind = "finding"
polarity = "risk"
# It can refer soon (rule numb_soon): unanswered, it must not read as no.
required = true
question = "Is your back sore?"

[[facts]]
name = "hug_ok"
kind = "capability"
polarity = "capability"
unlocked_by = "hug"

[[facts]]
name = "odi_severe"
kind = "derived"
polarity = "risk"
derive = { source = "odi_band", at_least = "severe" }

[[rules]]
id = "fever_same_day"
condition = { fact = "fever" }
actions = [{ refer = "same_day" }]
reason = "Fever needs a doctor today."
source = "S1"

[[rules]]
id = "numb_soon"
condition = { any = [{ fact = "numb" }, { all = [{ fact = "stiff" }, { fact = "sore" }] }] }
actions = [{ refer = "soon" }, { exclude = { families = ["arching"] } }]
reason = "Numbness needs a check soon."
source = "S1"

[[rules]]
id = "sore_no_bend"
condition = { at_least = 1, of = [{ fact = "sore" }, { fact = "odi_severe" }] }
actions = [{ exclude = { ids = ["bend"] } }, { caution = { positions = ["supine"] }, text = "Go gently." }]
reason = "Soreness: no bending."
source = "S1"

[[rules]]
id = "hug_ok_caution"
condition = { fact = "hug_ok" }
actions = [{ caution = { ids = ["double_hug"] }, text = "Both knees: slowly." }]
reason = "New exercise."
source = "S1"
"""
    + FORMAT3_TABLES
)


def mini() -> dict[str, Any]:
    """Return a fresh parsed copy of ``MINI_TOML``, ready to be changed by a test."""
    return tomllib.loads(MINI_TOML)


def load(data: dict[str, Any]) -> Protocol:
    """Build a protocol from ``data`` as the loader does, naming it ``mini.toml``."""
    return protocol_from_data(data, source=MINI_SOURCE)


def item(data: dict[str, Any], section: str, ident: str) -> dict[str, Any]:
    """Return the exercise, fact or rule ``ident`` of ``data`` (by ``id`` or ``name``)."""
    key = "name" if section == "facts" else "id"
    matches = [entry for entry in data[section] if entry[key] == ident]
    assert len(matches) == 1, f"{section} {ident!r} is not unique in the test document"
    found: dict[str, Any] = matches[0]
    return found


def codes(protocol: Protocol) -> list[str]:
    """Return the codes of the problems ``check()`` reports, in order."""
    return [problem.code for problem in protocol.check()]
