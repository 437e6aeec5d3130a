"""Fuzz the admin's forms and actions as an Editor and as a staff user with no role.

Hidden inputs are inputs too: every field of each admin form (the code's change and add
forms, its inlines' management forms, the vocabularies' forms) and every changelist action
gets random values (any text, huge text, wrong types, lists), fields left out and fields
added (the version, the editorial state, a reviewer, ids, superuser flags). Whatever arrives:
no 5xx, and no write that the user's role does not allow: a staff user with no role changes
nothing at all, and an Editor never publishes, deletes a code or touches an account.
"""

from collections import Counter

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codes.models import (
    ClinicalExample,
    CodeModifier,
    CodeProcedure,
    EditorialState,
    Modifier,
    Nerve,
    Section,
    Specialty,
)
from tests.admin.forms import form_data

pytestmark = pytest.mark.django_db

HUGE = 50_000
EXAMPLES = 60
ISSUED = Counter()

CODE_CHANGE = "/admin/codes/codeprocedure/{pk}/change/"
CODE_ADD = "/admin/codes/codeprocedure/add/"
CODE_LIST = "/admin/codes/codeprocedure/"
VOCABULARY_CHANGE = {
    Section: "/admin/codes/section/{pk}/change/",
    Modifier: "/admin/codes/modifier/{pk}/change/",
    Specialty: "/admin/codes/specialty/{pk}/change/",
    Nerve: "/admin/codes/nerve/{pk}/change/",
}
ACTIONS = ["send_for_review", "publish", "return_to_draft", "export_csv", "delete_selected"]
# Fields no form shows, which a forged request may add.
FORGED = [
    "editorial_state", "version", "opened_version", "reviewed_by", "last_reviewed",
    "id", "pk", "code", "is_superuser", "is_staff", "groups", "user_permissions",
    "history_change_reason", "_change_reason", "official_descriptor", "replaced_by",
    "section", "published_at", "post", "_save", "_continue", "_addanother", "select_across",
]  # fmt: skip

texts = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40),
    st.sampled_from(
        [
            "", " ", "0", "-1", "1e309", "NaN", "9" * 30, "2026-02-30", "published",
            "in_review", "64868", "<script>alert(1)</script>", "'; DROP TABLE x; --",
            "\x00", "\u202e", "[" * 5000, "=HYPERLINK(1)", "a" * HUGE, "1000000000",
        ]
    ),
)  # fmt: skip
values = st.one_of(texts, st.lists(texts, max_size=3))


def snapshot():
    """What a write would change: every code's row, every related row, accounts, roles."""
    return {
        "codes": list(CodeProcedure.objects.order_by("pk").values()),
        "examples": list(ClinicalExample.objects.order_by("pk").values()),
        "modifiers": list(CodeModifier.objects.order_by("pk").values()),
        "vocabularies": [
            list(model.objects.order_by("pk").values())
            for model in (Section, Modifier, Specialty, Nerve)
        ],
        "history": CodeProcedure.history.count(),
        "users": list(User.objects.order_by("pk").values("pk", "is_staff", "is_superuser")),
        "groups": list(Group.objects.order_by("pk").values_list("pk", "name")),
        "group_permissions": Group.permissions.through.objects.count(),
        "user_groups": User.groups.through.objects.count(),
    }


@pytest.fixture
def forms():
    """The change and add forms' data as a superuser's browser would post them."""
    admin = User.objects.create_superuser("fuzz-root", "root@example.org", "x")
    client = Client()
    client.force_login(admin)
    found = {}
    for name, url in target_urls().items():
        found[name] = form_data(client.get(url))
    admin.delete()
    return found


def user_client(username, *roles):
    user = User.objects.create_user(username, password="a-long-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name__in=roles))
    client = Client()
    client.force_login(user)
    return client


@st.composite
def mutated(draw, base):
    """The form's data with some fields given random values, some left out, some added."""
    data = dict(base)
    names = sorted(data)
    for name in draw(st.lists(st.sampled_from(names), max_size=6, unique=True)):
        data[name] = draw(values)
    for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
        data.pop(name, None)
    for name in draw(st.lists(st.sampled_from(FORGED), max_size=3, unique=True)):
        data[name] = draw(values)
    if draw(st.booleans()):
        data[draw(texts) or "x"] = draw(values)
    return data


def target_urls():
    code = CodeProcedure.objects.get(code="64868")
    urls = {"code": CODE_CHANGE.format(pk=code.pk), "add": CODE_ADD}
    for model, url in VOCABULARY_CHANGE.items():
        urls[model.__name__] = url.format(pk=model.objects.first().pk)
    return urls


def post(client, url, data):
    response = client.post(url, data)
    ISSUED["requests"] += 1
    assert response.status_code < 500, (url, response.status_code)
    return response


fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def admin_requests(draw, forms):
    form = draw(st.sampled_from(sorted(forms)))
    return form, draw(mutated(forms[form]))


@st.composite
def action_requests(draw):
    selected = draw(
        st.lists(
            st.one_of(st.sampled_from(["1", "2", "38", "999999", "-1", "x", ""]), texts),
            max_size=4,
        )
    )
    data = {"action": draw(st.one_of(st.sampled_from(ACTIONS), texts))}
    data["_selected_action"] = selected
    if draw(st.booleans()):
        data["select_across"] = draw(st.sampled_from(["1", "0", "x"]))
    if draw(st.booleans()):
        data["index"] = draw(st.sampled_from(["0", "1", "-1", "x", "99"]))
    if draw(st.booleans()):
        data["post"] = "yes"  # the delete confirmation's "Yes, I'm sure"
    return data


def test_a_staff_user_with_no_role_writes_nothing_whatever_the_admin_is_sent(forms):
    client = user_client("nobody")
    urls = target_urls()
    before = snapshot()

    @fuzz
    @given(request=admin_requests(forms), action=action_requests())
    def run(request, action):
        form, data = request
        post(client, urls[form], data)
        post(client, CODE_LIST, action)

    run()
    assert snapshot() == before


def test_an_editor_never_publishes_deletes_or_touches_accounts_whatever_the_admin_is_sent(
    forms,
):
    client = user_client("eddie", "Editors")
    urls = target_urls()
    published = set(
        CodeProcedure.objects.filter(editorial_state=EditorialState.PUBLISHED).values_list(
            "pk", flat=True
        )
    )
    codes = set(CodeProcedure.objects.values_list("pk", flat=True))
    accounts = snapshot()["users"], snapshot()["groups"], Permission.objects.count()

    @fuzz
    @given(request=admin_requests(forms), action=action_requests())
    def run(request, action):
        form, data = request
        post(client, urls[form], data)
        post(client, CODE_LIST, action)
        now_published = set(
            CodeProcedure.objects.filter(editorial_state=EditorialState.PUBLISHED).values_list(
                "pk", flat=True
            )
        )
        assert now_published <= published, "an editor published a code"
        assert codes <= set(CodeProcedure.objects.values_list("pk", flat=True)), "deleted"

    run()
    after = snapshot()
    assert (after["users"], after["groups"], Permission.objects.count()) == accounts


def test_the_admin_fuzz_sent_enough_requests():
    # Both tests above: two requests per example.
    assert ISSUED["requests"] >= 2 * 2 * EXAMPLES
