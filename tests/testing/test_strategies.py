"""The shipped hypothesis strategies (skb.testing.strategies): each produces
the shapes it claims, on the engine and on the twin, and every shape passes
the invariant checker with the same bytes on both."""

import dataclasses

import pytest
from hypothesis import given

import skb
from skb.testing import check, check_pages, model
from skb.testing.strategies import (
    SHARING_STATES,
    Built,
    FragRecipe,
    PageRecipe,
    Recipe,
    SkbRecipe,
    recipes,
    skb_recipes,
    skbs,
)


@pytest.fixture(autouse=True)
def _twin_no_leaks():
    before = model.counters()
    yield
    assert model.counters() == before


def is_freed(x):
    """A freed skb or page raises on every access."""
    try:
        x.size if hasattr(type(x), "refcount") else x.len
    except skb.SkbUseAfterFree:
        return True
    return False


def walk(s):
    """s and its frag_list members, recursively."""
    yield s
    for m in s.frag_list:
        yield from walk(m)


def observable(s):
    """What the engine and the twin must agree on for a built skb."""
    return (
        s.len, s.data_len, s.headlen, s.headroom, s.tailroom, s.end_offset, s.truesize,
        s.users, s.dataref, s.cloned, s.nohdr, s.hdr_len, s.fclone, s.fclone_ref,
        s.is_cloned(), s.header_cloned(), s.nr_frags,
        [(f.offset, f.size, f.page.refcount) for f in s.frags],
        [m.len for m in s.frag_list], bytes(s.data), s.to_bytes(),
    )


# ----------------------------------------------------------------------
# each strategy produces what it claims


@given(skbs())
def test_skbs_default_to_the_engine_and_free_everything(built):
    with built:
        assert isinstance(built, Built) and built.impl is skb
        assert isinstance(built.skb, skb.SkBuff)
        assert built.skb.len == built.recipe.skb.length
        assert len(built.skb.to_bytes()) == built.skb.len
        assert built.skb in built.owned
    assert built.owned == [] and built.page_refs == []


@given(skbs(model))
def test_skbs_on_the_twin(built):
    with built:
        assert isinstance(built.skb, model.SkBuff)
        assert built.skb.len == built.recipe.skb.length


@given(recipes(paged=False, frag_list=False, sharing=False))
def test_linear_plain_recipes_build_linear_private_skbs(recipe):
    assert recipe.skb.frags == () and recipe.skb.members == ()
    with recipe.build() as built:
        s = built.skb
        assert (s.data_len, s.nr_frags, s.frag_list, s.users, s.dataref) == (0, 0, [], 1, 1)
        assert (s.headroom, s.to_bytes()) == (recipe.skb.headroom, recipe.skb.payload)
        assert built.created == [s] and built.owned == [s]


@given(recipes(frag_list=False))
def test_paged_recipes_have_frags_over_the_pool(recipe):
    with recipe.build() as built:
        s = built.skb
        assert s.frag_list == []
        assert [(f.offset, f.size) for f in s.frags] == [
            (f.offset, f.size) for f in recipe.skb.frags]
        for f, fr in zip(s.frags, recipe.skb.frags):
            assert f.page is built.pages[fr.page]
        assert s.data_len == sum(f.size for f in recipe.skb.frags)
        # one reference per frag naming the page (several heads after
        # pskb_copy), plus Python's when the recipe keeps them
        for k, page in enumerate(built.pages):
            heads = 2 if recipe.skb.sharing == "pskb_copy" else 1
            refs = heads * sum(fr.page == k for fr in recipe.skb.frags)
            refs += built.page_refs.count(page)
            if refs:
                assert page.refcount == refs
            else:  # nobody holds it: freed at the end of the build
                assert is_freed(page)


@given(recipes(paged=False, sharing=False, max_depth=3))
def test_frag_list_recipes_nest_members(recipe):
    with recipe.build() as built:
        s = built.skb

        def matches(x, r):
            assert len(x.frag_list) == len(r.members)
            assert x.data_len == sum(m.length for m in r.members)
            # prepended members come first, the last prepended in front
            order = [m for m, at_end in zip(r.members, r.append) if not at_end][::-1] + [
                m for m, at_end in zip(r.members, r.append) if at_end]
            for xm, rm in zip(x.frag_list, order):
                assert xm.len == rm.length
                matches(xm, rm)

        matches(s, recipe.skb)
        assert 0 <= recipe.skb.depth <= 3


def test_skbs_refuses_a_non_module():
    with pytest.raises(TypeError):
        skbs(impl=42)


def plain_recipe(state, keep="orig"):
    """A small paged skb with one frag_list member, in the given state."""
    member = SkbRecipe(size=64, payload=b"member")
    r = SkbRecipe(size=200, headroom=32, payload=b"head" * 4,
                  frags=(FragRecipe(0, 10, 20, 4096),), members=(member,), append=(True,),
                  sharing=state, keep=keep)
    return Recipe(pages=(PageRecipe(),), skb=r)


@pytest.mark.parametrize("impl", [skb, model], ids=["engine", "twin"])
@pytest.mark.parametrize("keep", ["orig", "other"])
@pytest.mark.parametrize("state", SHARING_STATES)
def test_each_sharing_state_is_what_it_says(state, keep, impl):
    with plain_recipe(state, keep).build(impl) as built:
        s = built.skb
        orig, member, *others = built.created  # the skb, its member, what sharing made
        assert member.len == 6 and orig.frag_list == [member]
        handed_out = others[-1] if keep == "other" and state in (
            "clone", "fclone_pair", "clone_of_clone", "fclone_third", "nohdr_clone",
            "pskb_copy") else orig
        assert s is handed_out
        other = others[-1] if others else None
        expect = {
            # state: (orig.users, dataref, orig.cloned, orig.is_cloned(), fclone, fclone_ref)
            "plain": (1, 1, False, False, 0, None),
            "get": (2, 1, False, False, 0, None),
            "clone": (1, 2, True, True, 0, None),
            "clone_freed": (1, 1, True, False, 0, None),
            "clone_of_clone": (1, 3, True, True, 0, None),
            "fclone": (1, 1, False, False, 1, 1),
            "fclone_pair": (1, 2, True, True, 1, 2),
            "fclone_freed": (1, 1, True, False, 1, 1),
            "fclone_third": (1, 3, True, True, 1, 2),
            "nohdr": (1, 0x10001, False, False, 0, None),
            "nohdr_clone": (1, 0x10002, True, True, 0, None),
            "pskb_copy": (1, 1, False, False, 0, None),
        }[state]
        assert (orig.users, orig.dataref, orig.cloned, orig.is_cloned(), orig.fclone,
                orig.fclone_ref) == expect
        if state == "fclone_pair":
            assert other.fclone == 2
        if state == "fclone_third":
            assert (others[0].fclone, other.fclone) == (2, 0)
        if state in ("clone_freed", "fclone_freed"):
            assert is_freed(others[0])
        if state == "nohdr_clone":
            assert (orig.nohdr, other.nohdr, other.hdr_len) == (True, False, orig.headroom)
            assert not other.header_cloned()
        if state == "pskb_copy":
            assert other.dataref == 1 and other.end_offset <= orig.end_offset
            assert orig.frag_list[0] is other.frag_list[0]
            assert orig.frag_list[0].users == 2
            assert orig.frags[0].page.refcount == 2
        assert s.to_bytes() == b"head" * 4 + built.pages[0].data[10:30].tobytes() + b"member"


# ----------------------------------------------------------------------
# properties over every shape


@given(recipes(max_depth=3))
def test_every_shape_passes_the_checker_and_matches_the_twin(recipe):
    with recipe.build(skb) as e, recipe.build(model) as t:
        assert len(e.created) == len(t.created) and len(e.pages) == len(t.pages)
        for es, ts in zip(e.created, t.created):
            if is_freed(es) or is_freed(ts):
                assert is_freed(es) and is_freed(ts)
                continue
            for x in walk(es):
                check(x)
            assert observable(es) == observable(ts)
        check_pages()
        for ep, tp in zip(e.pages, t.pages):
            if is_freed(ep) or is_freed(tp):
                assert is_freed(ep) and is_freed(tp)
                continue
            assert (ep.refcount, bytes(ep.data)) == (tp.refcount, bytes(tp.data))
        assert e.skb.to_bytes() == t.skb.to_bytes()


@given(skb_recipes(n_pages=0, max_depth=1))
def test_a_recipe_without_pages_builds_alone(r):
    with Recipe(pages=(), skb=r).build() as built:
        assert built.skb.len == r.length
        assert built.skb.nr_frags == 0


def test_recipes_are_plain_data():
    r = plain_recipe("clone")
    assert dataclasses.replace(r.skb, sharing="plain") != r.skb
    assert r.skb.length == 16 + 20 + 6 and r.skb.depth == 1 and not r.skb.fclone
    assert plain_recipe("fclone_pair").skb.fclone
