"""The backend fixture: every protocol test runs on the C engine and on the
pure-Python twin (skb.testing.model), which must end with no live skbs."""

import pytest

import skb

from .protohelp import ENGINE, TWIN, Backend


@pytest.fixture(params=[ENGINE, TWIN])
def backend(request):
    if request.param == ENGINE:
        yield Backend(ENGINE, skb)
        return
    from skb.testing import model

    before = model.counters()
    yield Backend(TWIN, model)
    assert model.counters() == before, "twin skbs, heads or pages were left alive"
