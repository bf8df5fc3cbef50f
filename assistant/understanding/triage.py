"""Safety triage, run before anything else: red flags get a referral; instruction and medication asks get
out_of_scope. (Questions about other joints are caught after retrieval, which knows whether a method was named.)

Ordinary "is it safe / risky / will it hurt" questions pass through: they are the article's subject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .lexicon import normalise

TriageStatus = Literal["ok", "referral", "out_of_scope"]


@dataclass(frozen=True)
class RedFlag:
    group: str  # which group of SAFETY.md
    emergency: bool
    patterns: tuple[str, ...]


def _rx(*parts: str) -> tuple[str, ...]:
    return parts


RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag("cauda_equina", True, _rx(
        r"numb\w*[^.?!]{0,40}\b(groin|buttocks?|butt|inner thighs?|saddle|genitals?|between my legs|private parts?|crotch)",
        r"\b(groin|saddle|inner thighs?|buttocks|crotch)\b[^.?!]{0,25}\b(numb\w*|tingl\w*|no feeling|can'?t feel)",
        r"can'?t feel (my )?(groin|buttocks|inner thighs?|crotch)",
        r"saddle (an(a)?esthesia|numbness|area)",
        r"\b(can'?t|cannot|can not|unable to|trouble|difficulty|struggl\w* to|problems?)\b[^.?!]{0,15}\b(pee|peeing|urinat\w*|passing urine|pass urine|control (my )?(bladder|bowels?))",
        r"\b(loss|lost|losing|no)\b (of )?(my )?(bladder|bowel)s?( control)?",
        r"\b(loss|lost|losing|lose|no)\b (of )?control (of|over) (my )?(bladder|bowels?)",
        r"\bincontinen\w*|\bwet (myself|the bed)\b|\bsoiled myself\b|urinary retention",
        r"\b(both|my) legs\b[^.?!]{0,30}\b(numb|weak|giving way|give way|gave way)",
        r"\b(legs?|feet)\b[^.?!]{0,30}\b(weak\w*|numb\w*)\b[^.?!]{0,30}\b(worse|worsening|spreading|severe|getting worse)",
        r"\bfoot ?drop\b|\bdrop ?foot\b|\bfoot\b[^.?!]{0,20}\b(dragg\w*|drags|slap\w*|drops|dropping|catch\w* on)\b|can'?t (lift|raise) my (foot|toes)",
    )),
    RedFlag("fracture", False, _rx(
        r"\b(i|i've|i have|after|since)\b[^.?!]{0,20}\b(fell|fallen|had a fall|a bad fall|slipped and fell)\b",
        r"\bfell (off|from|down|on)\b|\bfalling (off|from|down)\b",
        r"\bcar (accident|crash|wreck)|\b(crashed|collision|rear-?ended|hit by a car|motorcycle accident|whiplash)\b",
        r"\b(tackled|got hit|was hit|sports? (injury|impact|collision))\b",
        r"\b(steroids?|prednison\w*|prednisolon\w*|corticosteroids?|cortison\w*)\b",
        r"\b(i|i've|i have)\b[^.?!]{0,15}\b(broke|broken|fractured|cracked)\b[^.?!]{0,20}\b(rib|ribs|vertebra\w*|spine|back|bone|tailbone)",
        r"\b(my|a) (broken|fractured) (rib|ribs|vertebra\w*|spine|back|tailbone)",
        r"\b(compression|spinal|vertebral) fracture",
    )),
    RedFlag("tumour_infection", False, _rx(
        r"\b(cancer|tumou?rs?|malignan\w*|metasta\w*|chemo\w*|lymphoma|leuk(a)?emia|myeloma)\b",
        r"\b(fever\w*|chills|night sweats|high temperature)\b",
        r"\b(unexplained|unintentional|unintended|sudden|rapid)\b[^.?!]{0,10}\bweight loss|\blos(t|ing|e) [^.?!]{0,25}\bweight\b[^.?!]{0,25}\b(without trying|not trying|for no reason|unexplained)",
        r"\b(infection|infected|septic|abscess|antibiotics)\b",
        r"\b(iv drugs?|inject\w* drugs|intravenous drugs?|heroin)\b",
        r"\b(immunocompromised|immunosuppress\w*|weak(ened)? immune|transplant|hiv|aids)\b",
        r"\b(worse|worst|wakes? me( up)?|keeps? me (up|awake)|severe|unbearable|excruciating)\b[^.?!]{0,30}\b(at night|during the night|lying down|lie down|in bed)\b",
        r"\b(at night|night-?time)\b[^.?!]{0,20}\b(worse|severe|unbearable|excruciating)\b|\bnight pain\b",
    )),
    RedFlag("nerve_root", False, _rx(
        r"\b(pain|tingl\w*|numb\w*|burning|electric\w*|shooting|radiat\w*|pins and needles|shock)\b[^.?!]{0,40}\b(down|into|in|through) ([a-z]+ ){0,4}(legs?|foot|feet|calf|calves|thighs?|toes)\b",
        r"\b(legs?|foot|feet|calf|thighs?)\b[^.?!]{0,15}\b(tingl\w*|numb\w*|weak\w*|pins and needles)",
        r"\b(weak\w*|numb\w*)\b[^.?!]{0,20}\b(in|of) (my |one |both |the )?(legs?|foot|feet|ankle)\b",
        r"\b(sciatica|sciatic|radiculopathy|pinched nerve|herniated|slipped disc|bulging disc|disc herniation|ruptured disc)\b",
    )),
    RedFlag("surgery_structural", False, _rx(
        r"\b(spinal|spine|back|lumbar|neck) (surgery|fusion|operation|implants?|rods?|screws?|hardware|stimulator)\b",
        r"\b(laminectomy|discectomy|microdiscectomy|spinal fusion|vertebroplasty|kyphoplasty)\b",
        r"\b(rods?|screws?|plates?|implants?|hardware|cages?|pins)\b[^.?!]{0,15}\b(in|on|into) (my |the )?(spine|back|neck|vertebra\w*)\b",
        r"\b(surgery|operation|operated)\b[^.?!]{0,20}\b(on )?(my )?(back|spine)\b",
        r"\b(osteoporosis|osteopenia|brittle bones)\b",
        r"\b(ankylosing spondylitis|spondylitis|rheumatoid arthritis|inflammatory arthritis|psoriatic arthritis|spinal tumou?r)\b",
        r"\b(pregnan\w*|expecting a baby|trimester)\b",
    )),
)

_NEGATION = re.compile(r"\b(no|not|don'?t|do not|never|without|haven'?t|hasn'?t|isn'?t|aren'?t|denies|neither|nor|wasn'?t|none)\b")
_CLAUSE_BREAK = re.compile(r"[.;!?]|,\s*(but|and)\b|\bbut\b")

OUT_OF_SCOPE: dict[str, tuple[str, ...]] = {
    "instructions": (
        r"\b(ignore|disregard|forget)\b[^.?!]{0,30}\b(instructions?|rules|prompts?|guidelines|directions)\b",
        r"\bsystem prompt\b|\byour (prompt|instructions|rules|configuration)\b",
        r"\b(reveal|show|print|repeat|tell me|output)\b[^.?!]{0,20}\b(prompt|instructions|hidden)\b",
        r"\b(developer mode|jailbreak|dan mode)\b|\bpretend (you are|to be)\b|\byou are now\b|\bact as (a|an)\b",
    ),
    "medication": (
        r"\b(ibuprofen|advil|motrin|tylenol|paracetamol|acetaminophen|naproxen|aleve|aspirin|diclofenac|codeine|tramadol|oxycodone|opioids?|gabapentin|cyclobenzaprine)\b",
        r"\b(painkillers?|pain ?killers?|pain medication|muscle relaxants?|medications?|medicines?|meds|pills?|tablets?|dosage|doses?|milligrams?|supplements?)\b",
        r"\b\d+\s?mg\b",
    ),
}
# "back" as a body part ("my back", "lower back"), not as in "pop it back in place"
_BACK_WORDS = re.compile(r"\b(my|your|the|lower|upper|mid|middle|low|whole|entire|his|her|and|or)[- ]back\b|"
                         r"\bback (pain|muscles?|aches?|is|hurts?|feels)\b|"
                         r"\b(spine|spinal|vertebra\w*|lumbar|thoracic|sacroiliac)\b")
# Joints the article never uses to describe a move, asked about as the thing to treat.
_OTHER_JOINTS = r"(neck|knuckles?|fingers?|knees?|ankles?|wrists?|jaw|toes?|elbows?|hamstrings?|calf|calves|quads?|quadriceps|thumbs?|shoulders?(?! blades?))"
OTHER_BODY_PARTS = re.compile(
    r"\b(for|help|helps|with|on|in|to|(loosen|reliev|fix|treat|crack|pop|stretch|adjust|click|realign|unlock)\w*) (my|your|the|a|sore|stiff|tight|both)"
    r"( sore| stiff| tight| painful)? " + _OTHER_JOINTS + r"\b"
    r"|\b(my|the) " + _OTHER_JOINTS + r"\b[^.?!]{0,15}\b(hurts?|aches?|aching|pain|cracks?|pops?|stiff|sore|clicks?)\b")


def about_other_body_part(text: str) -> bool:
    """A question about another joint, as the thing to treat, that never mentions the back or spine."""
    text = normalise(text)
    return bool(OTHER_BODY_PARTS.search(text)) and not _BACK_WORDS.search(text)


@dataclass(frozen=True)
class Triage:
    status: TriageStatus
    group: str | None = None  # red-flag group or out-of-scope reason
    emergency: bool = False
    matched: str | None = None

    @property
    def stops(self) -> bool:
        return self.status != "ok"


def _negated(text: str, start: int) -> bool:
    before = text[max(0, start - 45):start]
    clause = _CLAUSE_BREAK.split(before)[-1]
    return bool(_NEGATION.search(clause))


def red_flag(text: str) -> Triage | None:
    """The most urgent red flag the text describes (emergency groups first), if any."""
    for flag in sorted(RED_FLAGS, key=lambda f: not f.emergency):
        for pattern in flag.patterns:
            for m in re.finditer(pattern, text):
                if not _negated(text, m.start()):
                    return Triage("referral", flag.group, flag.emergency, m.group(0))
    return None


_AGE = re.compile(r"\b(?:i'?m|i am|im|aged?|at)\s+(\d{2,3})\b|\b(\d{2,3})\s*(?:-?\s*years?[- ]old|yo|y/o|yrs? old)\b")
_NEW_PAIN = re.compile(r"\b(new|just (started|began|begun)|started|began|recent\w*|sudden\w*|first time|this week|last week|"
                       r"(few|couple of) (days|weeks)|out of nowhere)\b")


def older_with_new_pain(text: str) -> Triage | None:
    """SAFETY.md: age over 50 with new back pain is a red flag (tumour or infection)."""
    m = _AGE.search(text)
    if m and int(m.group(1) or m.group(2)) > 50 and _NEW_PAIN.search(text) and re.search(r"\b(pain|hurt\w*|ach\w*|sore)\b", text):
        return Triage("referral", "tumour_infection", False, m.group(0))
    return None


def triage(question: str, *variants: str) -> Triage:
    """Referral for a red flag, out_of_scope for asks the article cannot answer, else ok.

    `variants` (a spelling-corrected form, say) are checked for red flags too: safety wins ties.
    """
    text = normalise(question)
    for candidate in (text, *map(normalise, variants)):
        flagged = red_flag(candidate) or older_with_new_pain(candidate)
        if flagged:
            return flagged
    for reason, patterns in OUT_OF_SCOPE.items():
        for pattern in patterns:
            m = re.search(pattern, text)
            if m:
                return Triage("out_of_scope", reason, False, m.group(0))
    return Triage("ok")
