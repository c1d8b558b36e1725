"""The policy's fast path for plain addresses never says "valid" where email-validator does not
(`policy.is_plainly_valid` is a shortcut of the validator, never a second opinion)."""

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from data_access import demo, policy


def validator_accepts(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


LOCAL_CHARS = "abcz09_+-."
DOMAIN_CHARS = "abz09-."
label = st.text("abz09-", min_size=1, max_size=64)
plain_like = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}",
    st.text(LOCAL_CHARS, min_size=1, max_size=70),
    st.lists(label, min_size=1, max_size=5),
    st.text("abzq0", min_size=1, max_size=64),
)
# Near misses: the shape's alphabet plus what breaks it (upper case, accents, spaces, quotes,
# special-use names, punycode, dots in a row, long runs).
anything = st.text(
    "aZ0.-_+@ñé \"'<>\u00a0\u200b" + "\x00",
    max_size=80,
) | st.sampled_from(
    [
        "a@localhost",
        "a@b.local",
        "a@x.test",
        "a@b.invalid",
        "a@b.onion",
        "a@1.0.0.127.in-addr.arpa",
        "a@xn--bcher-kva.de",
        "a@ab--cd.com",
        "a..b@c.com",
        ".a@c.com",
        "a.@c.com",
        "a@-c.com",
        "a@c-.com",
        "a@c.com.",
        "a@c.c0m",
        "a@c.1",
        "a@c",
        "a" * 64 + "@b.com",
        "a" * 65 + "@b.com",
        "a@" + "b" * 63 + ".com",
        "a@" + "b" * 64 + ".com",
        "a@" + ".".join(["b" * 63] * 4) + ".com",
        "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".com",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(plain_like | anything)
@example("ana.lopez+news@mail.example.com")
@example("a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".es")  # 254 characters
@example("a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".es")  # 255 characters
def test_the_fast_path_is_a_shortcut_of_the_validator(address):
    if policy.is_plainly_valid(address):
        assert validator_accepts(address), address


@pytest.mark.parametrize(
    "address, plain",
    [
        ("ana@example.com", True),
        ("jose.nunez-pena+crm@correo.mx", True),
        ("ANA@example.com", False),  # the validator decides (stored addresses are lower case)
        ("josé@example.com", False),
        ("ana@localhost", False),
        ("ana@example.test", False),
        ("ana@xn--espaa-rta.es", False),
        ("ana@example", False),
        ("ana lopez@example.com", False),
    ],
)
def test_the_fast_path_covers_the_common_shape_only(address, plain):
    assert policy.is_plainly_valid(address) is plain


def test_the_policy_says_the_same_as_the_validator_on_the_demo_addresses():
    world = demo.generate(3000, seed=5)
    for address in world.contacts["email"]:
        assert policy.is_valid_address(address) is validator_accepts(address), address
