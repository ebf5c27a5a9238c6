"""Every case of the corpus, in build order."""

from tests.accuracy.cases_correct import CASES as CORRECT
from tests.accuracy.cases_other import HARD, WRONG
from tests.accuracy.cases_paste import PASTES

CASES = [*CORRECT, *WRONG, *HARD, *PASTES]
