"""The status policy: each rule, the resets, several reasons at once, and properties."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access import policy, vocab
from data_access.policy import PolicyConfig, evaluate

T0 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
GOOD = "ana.garcia@example.com"


def ev(day, event, **extra):
    return {"occurred_at": T0 + timedelta(days=day), "event": event, **extra}


def soft(day):
    return ev(day, vocab.BOUNCED, bounce_type=vocab.SOFT)


def hard(day):
    return ev(day, vocab.BOUNCED, bounce_type=vocab.HARD)


def delivered(day):
    return ev(day, vocab.DELIVERED)


def test_no_events_and_valid_address_can_send():
    verdict = evaluate(GOOD, [])
    assert verdict.can_send
    assert verdict.primary is None and verdict.reason is None


def test_only_deliveries_can_send():
    assert evaluate(GOOD, [delivered(d) for d in range(10)]).can_send


@pytest.mark.parametrize(
    "address",
    [
        "ana garcia@example.com",
        "ana..garcia@example.com",
        "ana@example",
        "ana@@example.com",
        "ana@example,com",
        "ana.example.com",
        "",
    ],
)
def test_invalid_address_blocks_from_creation(address):
    created = T0 - timedelta(days=30)
    verdict = evaluate(address, [delivered(1)], created_at=created)
    assert verdict.reason == vocab.INVALID_ADDRESS
    assert verdict.primary.since == created
    assert verdict.primary.cause is None


@pytest.mark.parametrize("address", [GOOD, "jose.nunez@gmial.com", "maría@example.es"])
def test_valid_addresses_pass_the_validator(address):
    assert policy.is_valid_address(address)


def test_complaint_is_forever():
    complaint = ev(2, vocab.SPAM_COMPLAINT, campaign_name="Black Friday")
    events = [delivered(1), complaint, delivered(3), ev(4, vocab.RESUBSCRIBED), delivered(5)]
    verdict = evaluate(GOOD, events)
    assert verdict.reason == vocab.PREVIOUS_SPAM
    assert verdict.primary.since == complaint["occurred_at"]
    assert verdict.primary.cause is complaint


def test_one_hard_bounce_blocks_and_a_delivery_does_not_lift_it():
    bounce = hard(1)
    verdict = evaluate(GOOD, [delivered(0), bounce, delivered(2)])
    assert verdict.reason == vocab.PREVIOUS_BOUNCE
    assert verdict.primary.cause is bounce


def test_three_soft_bounces_in_a_row_block_since_the_third():
    events = [delivered(0), soft(1), soft(2), soft(3)]
    verdict = evaluate(GOOD, events)
    assert verdict.reason == vocab.PREVIOUS_BOUNCE
    assert verdict.primary.cause is events[3]


def test_a_soft_bounce_block_counts_its_evidence():
    verdict = evaluate(GOOD, [delivered(0), soft(1), soft(2), soft(3), soft(4)])
    assert (verdict.primary.soft_bounces, verdict.primary.sends) == (3, 3)
    wider = PolicyConfig(soft_threshold=2, soft_window=4)
    verdict = evaluate(GOOD, [soft(1), soft(2)], config=wider)
    assert (verdict.primary.soft_bounces, verdict.primary.sends) == (2, 2)


def test_other_blocks_carry_no_soft_bounce_count():
    for events in ([hard(1)], [delivered(0), ev(1, vocab.SPAM_COMPLAINT)]):
        block = evaluate(GOOD, events).primary
        assert block.soft_bounces is None and block.sends is None


def test_two_soft_bounces_do_not_block():
    assert evaluate(GOOD, [soft(1), soft(2)]).can_send


def test_soft_bounces_then_a_delivery_reset_the_count():
    events = [soft(1), soft(2), delivered(3), soft(4), soft(5)]
    assert evaluate(GOOD, events).can_send


def test_a_delivery_lifts_a_soft_bounce_block():
    events = [soft(1), soft(2), soft(3), delivered(4)]
    assert evaluate(GOOD, events).can_send


def test_undetermined_bounces_count_as_soft():
    und = [ev(d, vocab.BOUNCED, bounce_type=vocab.UNDETERMINED) for d in (1, 2, 3)]
    assert evaluate(GOOD, und).reason == vocab.PREVIOUS_BOUNCE


def test_thresholds_are_configurable():
    events = [soft(1), soft(2)]
    assert evaluate(GOOD, events).can_send
    strict = PolicyConfig(soft_threshold=2, soft_window=3)
    assert evaluate(GOOD, events, config=strict).reason == vocab.PREVIOUS_BOUNCE


def test_bad_thresholds_are_refused():
    with pytest.raises(ValueError):
        PolicyConfig(soft_threshold=6, soft_window=5)
    with pytest.raises(ValueError):
        PolicyConfig(soft_threshold=0, soft_window=5)


def test_unsubscribe_then_resubscribe():
    unsub = ev(2, vocab.UNSUBSCRIBED)
    assert evaluate(GOOD, [delivered(1), unsub]).reason == vocab.UNSUBSCRIBED_REASON
    assert evaluate(GOOD, [delivered(1), unsub]).primary.cause is unsub
    assert evaluate(GOOD, [delivered(1), unsub, ev(3, vocab.RESUBSCRIBED)]).can_send


def test_unsubscribe_again_after_resubscribing_counts_from_the_new_one():
    second = ev(5, vocab.UNSUBSCRIBED)
    events = [ev(1, vocab.UNSUBSCRIBED), ev(3, vocab.RESUBSCRIBED), second]
    verdict = evaluate(GOOD, events)
    assert verdict.primary.since == second["occurred_at"]


def test_several_reasons_are_all_listed_in_priority_order():
    events = [
        ev(1, vocab.UNSUBSCRIBED),
        hard(2),
        ev(3, vocab.SPAM_COMPLAINT),
    ]
    verdict = evaluate("broken address@example.com", events)
    assert [b.reason for b in verdict.blocks] == list(policy.REASON_PRIORITY)
    assert verdict.reason == vocab.INVALID_ADDRESS


def test_priority_puts_spam_before_an_earlier_unsubscribe():
    verdict = evaluate(GOOD, [ev(1, vocab.UNSUBSCRIBED), ev(2, vocab.SPAM_COMPLAINT)])
    assert [b.reason for b in verdict.blocks] == [vocab.PREVIOUS_SPAM, vocab.UNSUBSCRIBED_REASON]


@pytest.mark.parametrize("reason", vocab.REASONS)
def test_a_provider_drop_is_evidence_for_its_reason(reason):
    drop = ev(1, vocab.NOT_SENT, reason=reason)
    verdict = evaluate(GOOD, [delivered(0), drop])
    assert verdict.reason == reason
    assert verdict.primary.cause is drop


def test_a_drop_does_not_move_the_start_of_an_existing_block():
    complaint = ev(1, vocab.SPAM_COMPLAINT)
    verdict = evaluate(GOOD, [complaint, ev(5, vocab.NOT_SENT, reason=vocab.PREVIOUS_SPAM)])
    assert verdict.primary.cause is complaint


def test_a_delivery_lifts_a_provider_bounce_drop_but_not_a_provider_spam_drop():
    bounce_drop = ev(1, vocab.NOT_SENT, reason=vocab.PREVIOUS_BOUNCE)
    assert evaluate(GOOD, [bounce_drop, delivered(2)]).can_send
    spam_drop = ev(1, vocab.NOT_SENT, reason=vocab.PREVIOUS_SPAM)
    assert evaluate(GOOD, [spam_drop, delivered(2)]).reason == vocab.PREVIOUS_SPAM


def test_events_may_be_objects_with_attributes():
    class Event:
        def __init__(self, event, occurred_at):
            self.event, self.occurred_at = event, occurred_at

    assert evaluate(GOOD, [Event(vocab.SPAM_COMPLAINT, T0)]).reason == vocab.PREVIOUS_SPAM


def test_opens_clicks_and_unknown_events_change_nothing():
    assert evaluate(GOOD, [ev(1, "open"), ev(2, "click"), ev(3, vocab.SENT)]).can_send


# --- properties -----------------------------------------------------------------------------

EVENT_CHOICES = st.sampled_from(
    [
        (vocab.DELIVERED, None),
        (vocab.BOUNCED, vocab.SOFT),
        (vocab.BOUNCED, vocab.HARD),
        (vocab.BOUNCED, vocab.UNDETERMINED),
        (vocab.SPAM_COMPLAINT, None),
        (vocab.UNSUBSCRIBED, None),
        (vocab.RESUBSCRIBED, None),
    ]
)


def _events(choices):
    return [
        ev(i, event, bounce_type=bounce_type) if bounce_type else ev(i, event)
        for i, (event, bounce_type) in enumerate(choices)
    ]


def _reference(choices, threshold=3, window=5):
    """The rules restated directly from DESIGN.md, independently of the tracker."""
    reasons = set()
    if any(e == vocab.SPAM_COMPLAINT for e, _ in choices):
        reasons.add(vocab.PREVIOUS_SPAM)
    if any(b == vocab.HARD for _, b in choices):
        reasons.add(vocab.PREVIOUS_BOUNCE)
    sends = [(e, b) for e, b in choices if e in (vocab.DELIVERED, vocab.BOUNCED)]
    since_delivery = []
    for e, b in sends:
        since_delivery = [] if e == vocab.DELIVERED else since_delivery + [b]
    recent = since_delivery[-window:]
    if sum(b in (vocab.SOFT, vocab.UNDETERMINED) for b in recent) >= threshold:
        reasons.add(vocab.PREVIOUS_BOUNCE)
    consent = [e for e, _ in choices if e in (vocab.UNSUBSCRIBED, vocab.RESUBSCRIBED)]
    if consent and consent[-1] == vocab.UNSUBSCRIBED:
        reasons.add(vocab.UNSUBSCRIBED_REASON)
    return reasons


@settings(max_examples=300, deadline=None)
@given(st.lists(EVENT_CHOICES, max_size=25))
def test_the_tracker_agrees_with_the_rules_as_written(choices):
    verdict = evaluate(GOOD, _events(choices))
    assert {b.reason for b in verdict.blocks} == _reference(choices)
    # blocks come in the documented order
    order = [policy.REASON_PRIORITY.index(b.reason) for b in verdict.blocks]
    assert order == sorted(order)


@settings(max_examples=200, deadline=None)
@given(st.lists(EVENT_CHOICES, max_size=20), st.lists(EVENT_CHOICES, max_size=20))
def test_a_complaint_is_never_forgotten(before, after):
    events = _events(before + [(vocab.SPAM_COMPLAINT, None)] + after)
    assert vocab.PREVIOUS_SPAM in {b.reason for b in evaluate(GOOD, events).blocks}


@settings(max_examples=200, deadline=None)
@given(st.lists(EVENT_CHOICES, max_size=20))
def test_a_delivery_clears_every_soft_bounce_block(before):
    without_hard_or_spam = [
        c for c in before if c[1] != vocab.HARD and c[0] != vocab.SPAM_COMPLAINT
    ]
    events = _events(without_hard_or_spam + [(vocab.DELIVERED, None)])
    assert vocab.PREVIOUS_BOUNCE not in {b.reason for b in evaluate(GOOD, events).blocks}


@settings(max_examples=100, deadline=None)
@given(st.lists(EVENT_CHOICES, max_size=20))
def test_since_is_the_time_of_the_cause(choices):
    for block in evaluate(GOOD, _events(choices)).blocks:
        assert block.cause is not None
        assert block.since == block.cause["occurred_at"]


# --- lifting a block ------------------------------------------------------------------------


def lift(day, reason, consent=False):
    return ev(day, vocab.BLOCK_LIFTED, reason=reason, renewed_consent=consent)


def test_lifting_a_hard_bounce_lets_the_contact_be_sent_to():
    assert evaluate(GOOD, [hard(1), lift(2, vocab.PREVIOUS_BOUNCE)]).can_send


def test_lifting_bounces_also_restarts_the_soft_bounce_count():
    events = [soft(1), soft(2), soft(3), lift(4, vocab.PREVIOUS_BOUNCE), soft(5), soft(6)]
    assert evaluate(GOOD, events).can_send
    third = soft(7)
    verdict = evaluate(GOOD, [*events, third])
    assert verdict.reason == vocab.PREVIOUS_BOUNCE and verdict.primary.cause is third


def test_a_bounce_after_the_lift_blocks_again_from_that_bounce():
    again = hard(5)
    verdict = evaluate(GOOD, [hard(1), lift(2, vocab.PREVIOUS_BOUNCE), delivered(3), again])
    assert verdict.reason == vocab.PREVIOUS_BOUNCE
    assert verdict.primary.cause is again and verdict.primary.since == again["occurred_at"]


def test_lifting_a_provider_bounce_drop():
    drop = ev(1, vocab.NOT_SENT, reason=vocab.PREVIOUS_BOUNCE)
    assert evaluate(GOOD, [drop, lift(2, vocab.PREVIOUS_BOUNCE)]).can_send


@pytest.mark.parametrize(
    ("block", "reason"),
    [(vocab.SPAM_COMPLAINT, vocab.PREVIOUS_SPAM), (vocab.UNSUBSCRIBED, vocab.UNSUBSCRIBED_REASON)],
)
def test_spam_and_unsubscribe_are_lifted_only_with_renewed_consent(block, reason):
    assert evaluate(GOOD, [ev(1, block), lift(2, reason)]).reason == reason
    assert evaluate(GOOD, [ev(1, block), lift(2, reason, consent=True)]).can_send
    again = ev(3, block)
    verdict = evaluate(GOOD, [ev(1, block), lift(2, reason, consent=True), again])
    assert verdict.reason == reason and verdict.primary.cause is again


def test_an_invalid_address_cannot_be_lifted():
    verdict = evaluate("ana garcia@example.com", [lift(1, vocab.INVALID_ADDRESS, consent=True)])
    assert verdict.reason == vocab.INVALID_ADDRESS
    drop = ev(1, vocab.NOT_SENT, reason=vocab.INVALID_ADDRESS)
    assert evaluate(GOOD, [drop, lift(2, vocab.INVALID_ADDRESS)]).reason == vocab.INVALID_ADDRESS


def test_a_lift_clears_only_its_own_reason():
    events = [hard(1), ev(2, vocab.SPAM_COMPLAINT), lift(3, vocab.PREVIOUS_BOUNCE)]
    assert [b.reason for b in evaluate(GOOD, events).blocks] == [vocab.PREVIOUS_SPAM]


def test_lift_refusal_says_why():
    bounced = evaluate(GOOD, [hard(1)])
    spam = evaluate(GOOD, [ev(1, vocab.SPAM_COMPLAINT)])
    invalid = evaluate("no valida@example.com", [])
    assert policy.lift_refusal(vocab.PREVIOUS_BOUNCE, bounced) is None
    assert policy.lift_refusal(vocab.PREVIOUS_SPAM, bounced) == policy.NOT_BLOCKED
    assert policy.lift_refusal(vocab.PREVIOUS_SPAM, spam) == policy.CONSENT_REQUIRED
    assert policy.lift_refusal(vocab.PREVIOUS_SPAM, spam, renewed_consent=True) is None
    assert policy.lift_refusal(vocab.INVALID_ADDRESS, invalid) == policy.NOT_LIFTABLE
    assert policy.lift_refusal(vocab.PREVIOUS_BOUNCE, evaluate(GOOD, [])) == policy.NOT_BLOCKED


def test_tracker_objects_carry_the_consent_of_a_lift():
    class Event:
        def __init__(self, event, day, reason=None, renewed_consent=False):
            self.event, self.occurred_at = event, T0 + timedelta(days=day)
            self.reason, self.renewed_consent = reason, renewed_consent

    events = [Event(vocab.UNSUBSCRIBED, 1), Event(vocab.BLOCK_LIFTED, 2, "unsubscribed", True)]
    assert evaluate(GOOD, events).can_send


LIFTS = st.sampled_from(
    [
        (vocab.BLOCK_LIFTED, (reason, consent))
        for reason in vocab.REASONS
        for consent in (False, True)
    ]
)
WITH_LIFTS = st.one_of(EVENT_CHOICES, LIFTS)


def _events_with_lifts(choices):
    out = []
    for i, (event, extra) in enumerate(choices):
        if event == vocab.BLOCK_LIFTED:
            out.append(lift(i, extra[0], consent=extra[1]))
        elif extra:
            out.append(ev(i, event, bounce_type=extra))
        else:
            out.append(ev(i, event))
    return out


def _reference_with_lifts(choices, threshold=3, window=5):
    """DESIGN.md's rules with lifts, restated: each reason is judged on what came after the
    last lift that clears it."""

    def after_last(clears):
        marks = [i for i, c in enumerate(choices) if clears(c)]
        return choices[marks[-1] + 1 :] if marks else choices

    def lifted(reason, need_consent):
        return lambda c: (
            c[0] == vocab.BLOCK_LIFTED and c[1][0] == reason and (c[1][1] or not need_consent)
        )

    reasons = set()
    if any(e == vocab.SPAM_COMPLAINT for e, _ in after_last(lifted(vocab.PREVIOUS_SPAM, True))):
        reasons.add(vocab.PREVIOUS_SPAM)
    bounces = after_last(lifted(vocab.PREVIOUS_BOUNCE, False))
    if any(e == vocab.BOUNCED and b == vocab.HARD for e, b in bounces):
        reasons.add(vocab.PREVIOUS_BOUNCE)
    since_delivery = []
    for e, b in bounces:
        if e == vocab.DELIVERED:
            since_delivery = []
        elif e == vocab.BOUNCED:
            since_delivery.append(b)
    if sum(b in (vocab.SOFT, vocab.UNDETERMINED) for b in since_delivery[-window:]) >= threshold:
        reasons.add(vocab.PREVIOUS_BOUNCE)
    consent = [
        e
        for e, extra in choices
        if e in (vocab.UNSUBSCRIBED, vocab.RESUBSCRIBED)
        or lifted(vocab.UNSUBSCRIBED_REASON, True)((e, extra))
    ]
    if consent and consent[-1] == vocab.UNSUBSCRIBED:
        reasons.add(vocab.UNSUBSCRIBED_REASON)
    return reasons


@settings(max_examples=400, deadline=None)
@given(st.lists(WITH_LIFTS, max_size=25))
def test_the_tracker_with_lifts_agrees_with_the_rules_as_written(choices):
    verdict = evaluate(GOOD, _events_with_lifts(choices))
    assert {b.reason for b in verdict.blocks} == _reference_with_lifts(choices)


@settings(max_examples=200, deadline=None)
@given(st.lists(WITH_LIFTS, max_size=20), st.lists(WITH_LIFTS, max_size=10))
def test_a_hard_bounce_after_a_lift_blocks_again(before, between):
    events = _events_with_lifts(before + [(vocab.BLOCK_LIFTED, (vocab.PREVIOUS_BOUNCE, True))])
    events += _events_with_lifts(between)
    events.append(hard(len(events) + 1))
    verdict = evaluate(GOOD, events)
    assert vocab.PREVIOUS_BOUNCE in {b.reason for b in verdict.blocks}


@settings(max_examples=200, deadline=None)
@given(st.lists(WITH_LIFTS, max_size=20), st.sampled_from(vocab.REASONS), st.booleans())
def test_a_lift_never_clears_another_reason(before, reason, consent):
    events = _events_with_lifts(before)
    was = {b.reason for b in evaluate(GOOD, events).blocks}
    now = {b.reason for b in evaluate(GOOD, [*events, lift(len(events), reason, consent)]).blocks}
    assert was - {reason} <= now <= was


@settings(max_examples=200, deadline=None)
@given(st.lists(WITH_LIFTS, max_size=20), st.sampled_from(vocab.CONSENT_REASONS))
def test_a_spam_or_unsubscribe_lift_without_consent_changes_nothing(before, reason):
    events = _events_with_lifts(before)
    was = evaluate(GOOD, events).blocks
    assert evaluate(GOOD, [*events, lift(len(events), reason, False)]).blocks == was


@settings(max_examples=100, deadline=None)
@given(st.lists(WITH_LIFTS, max_size=20))
def test_an_invalid_address_stays_blocked_whatever_is_lifted(choices):
    verdict = evaluate("sin arroba.example.com", _events_with_lifts(choices))
    assert verdict.reason == vocab.INVALID_ADDRESS
