"""At most 20 webhooks per organization, through the webhook use cases over the in-memory store."""

from __future__ import annotations

import pytest

from hours_core.errors import Forbidden, PlanRequired, TooManyWebhooks, ValidationFailed
from hours_core.model import Plan
from hours_core.services import ChangeWebhook, CreateWebhook
from hours_core.subscriptions import MAX_WEBHOOKS, Webhook
from tests.world import World

A_HOOK = CreateWebhook(url="https://hooks.example.com/hours", events=("*",))


def fill(world: World, *, active: bool = True) -> list[Webhook]:
    caller = world.caller(world.owner)
    return [
        world.services.webhooks.create(caller, CreateWebhook(url=A_HOOK.url, events=("*",), active=active))
        for _ in range(MAX_WEBHOOKS)
    ]


def test_the_limit_is_twenty() -> None:
    assert MAX_WEBHOOKS == 20


def test_the_21st_webhook_is_refused_naming_the_limit(world: World) -> None:
    fill(world)

    with pytest.raises(TooManyWebhooks) as refused:
        world.services.webhooks.create(world.caller(world.admin), A_HOOK)

    assert refused.value.code == "too_many_webhooks"
    assert refused.value.limit == MAX_WEBHOOKS
    assert refused.value.message == (
        "An organization may have at most 20 webhooks (active or not), and this organization has that "
        "many; delete one to create another."
    )
    assert len(world.services.webhooks.list(world.caller(world.owner))) == MAX_WEBHOOKS


def test_inactive_webhooks_count(world: World) -> None:
    fill(world, active=False)

    with pytest.raises(TooManyWebhooks):
        world.services.webhooks.create(world.caller(world.owner), A_HOOK)


def test_turning_a_webhook_off_frees_no_slot_and_turning_it_on_needs_none(world: World) -> None:
    caller = world.caller(world.owner)
    held = fill(world)

    world.services.webhooks.change(caller, held[0].id, ChangeWebhook(active=False))
    with pytest.raises(TooManyWebhooks):
        world.services.webhooks.create(caller, A_HOOK)
    assert world.services.webhooks.change(caller, held[0].id, ChangeWebhook(active=True)).active


def test_deleting_a_webhook_frees_its_slot(world: World) -> None:
    caller = world.caller(world.owner)
    held = fill(world)

    world.services.webhooks.delete(caller, held[0].id)
    world.services.webhooks.create(caller, A_HOOK)

    with pytest.raises(TooManyWebhooks):
        world.services.webhooks.create(caller, A_HOOK)


def test_the_limit_is_per_organization(world: World) -> None:
    fill(world)
    other = world.services.admin.bootstrap(
        org_name="Other", plan=Plan.AGENCY, email="o@other.test", env="live"
    )
    caller = world.services.authenticator.authenticate(other.token.plaintext)

    created = world.services.webhooks.create(caller, A_HOOK)

    assert created.org_id != world.org.id


def test_wrong_fields_are_reported_before_the_limit(world: World) -> None:
    fill(world)

    with pytest.raises(ValidationFailed) as refused:
        world.services.webhooks.create(
            world.caller(world.owner), CreateWebhook(url="http://x.example", events=())
        )

    assert set(refused.value.fields) == {"url", "events"}


def test_the_plan_and_the_role_are_checked_before_the_limit(world: World) -> None:
    fill(world)

    with pytest.raises(Forbidden):
        world.services.webhooks.create(world.caller(world.member), A_HOOK)
    world.set_plan(Plan.SOLO)
    with pytest.raises(PlanRequired):
        world.services.webhooks.create(world.caller(world.owner), A_HOOK)
