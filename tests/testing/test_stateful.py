"""The engine against the twin: random operation sequences, compared after
every step (skb.testing.stateful.SkbMachine).

Its size comes from the hypothesis profile (tests/conftest.py): the default
profile's 200 examples of up to 50 steps, times EXAMPLES_FACTOR, because this
one test is where disagreements are found (about a minute; the quick "dev"
profile, HYPOTHESIS_PROFILE=dev, keeps it to a few seconds)."""

from hypothesis import settings

from skb.testing.stateful import SkbMachine

EXAMPLES_FACTOR = 5

TestEngineAgainstTwin = SkbMachine.TestCase
TestEngineAgainstTwin.settings = settings(
    settings.default, max_examples=EXAMPLES_FACTOR * settings.default.max_examples)
