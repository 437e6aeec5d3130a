"""Editors, reviewers and the forms they post, for the admin's tests."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from codes.models import CodeProcedure
from tests.admin.forms import form_data

CHANGE_URL = "/admin/codes/codeprocedure/{pk}/change/"
LIST_URL = "/admin/codes/codeprocedure/"
QUEUE_URL = "/admin/codes/revision/"


@pytest.fixture
def make_user(django_user_model):
    def make(username, *roles, full_name=""):
        user = django_user_model.objects.create_user(
            username, password="a-long-test-password", is_staff=True
        )
        if full_name:
            user.first_name, user.last_name = full_name.split(" ", 1)
            user.save()
        user.groups.set(Group.objects.filter(name__in=roles))
        return user

    return make


@pytest.fixture
def editor(client, make_user):
    client.force_login(make_user("eddie", "Editors", full_name="Eddie Editor"))
    return client


@pytest.fixture
def reviewer_client(make_user):
    client = Client()
    client.force_login(make_user("rita", "Reviewers", full_name="Rita Reviewer"))
    return client


def code(number):
    return CodeProcedure.objects.get(code=number)


def open_form(client, number):
    response = client.get(CHANGE_URL.format(pk=code(number).pk))
    assert response.status_code == 200
    data = form_data(response)
    data["change_note"] = "A test change."
    return data


def save(client, number, data, **kwargs):
    return client.post(CHANGE_URL.format(pk=code(number).pk), data, **kwargs)
